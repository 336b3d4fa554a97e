# Ruby: the seed's bug (read the first few hundred bytes, answer 4 MB,
# close the idiomatic way with the rest of the request unread): the reset
# bare, one close_rst with a frame of the runtime's close path (rb_io_close),
# as many close_rst as the kernel's resets (nstat, private network
# namespace), a close record at events=all, cured under
# SOCKSHIM_GRACEFUL=1.
. "$(dirname "$0")/../lib.sh"
command -v ruby >/dev/null 2>&1 || skip "ruby (Debian: ruby) is not installed"
private_net
seed_runtime ruby rb_io_close 60000 ruby "$TOP/tests/runtimes/seed_server.rb"
