# Java: the seed's bug closed by Socket.close() (plain), and by a close
# from a second thread while another writes (thread), where the JDK
# dup2()s a socketpair end over the socket's number (preClose) and the TCP
# socket ends in that dup2.  Each: the reset bare (the kernel's count), one
# close_rst naming the JDK's close path under the shim, as many as the
# kernel's resets (nstat, private network namespace), a close record at
# events=all, no reset under SOCKSHIM_GRACEFUL=1.  Before dup2 onto a live
# socket was its close, the thread case had no record and no cure.
. "$(dirname "$0")/../lib.sh"
command -v java >/dev/null 2>&1 || skip "java is not installed (Debian: default-jdk-headless)"
no_sanitizer "the JVM under a sanitizer runtime"
private_net
# a single-file source program: compiled in memory at each start
# The JDK shuts the sending side down before it closes: the client may
# read its EOF before the reset comes, which the kernel counts.
SR_FIN_FIRST=1 seed_runtime java-plain Java_sun_nio_ch_FileDispatcherImpl_close0 60000 \
	java "$TOP/tests/runtimes/SeedServer.java" plain
SR_FIN_FIRST=1 SR_STREAMING=1 seed_runtime java-thread Java_sun_nio_ch_FileDispatcherImpl_preClose0 60000 \
	java "$TOP/tests/runtimes/SeedServer.java" thread
