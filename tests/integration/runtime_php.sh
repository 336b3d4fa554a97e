# Php: the seed's bug (read the first few hundred bytes, answer 4 MB,
# close the idiomatic way with the rest of the request unread): the reset
# bare, one close_rst with a frame of the runtime's close path (zif_fclose),
# as many close_rst as the kernel's resets (nstat, private network
# namespace), a close record at events=all, cured under
# SOCKSHIM_GRACEFUL=1.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "PHP under a sanitizer runtime (its own allocator and threads)"
command -v php >/dev/null 2>&1 || skip "php (Debian: php-cli) is not installed"
no_sanitizer "PHP under a sanitizer runtime (its opcache is dlopen()ed with RTLD_DEEPBIND)"
private_net
seed_runtime php zif_fclose 60000 php "$TOP/tests/runtimes/seed_server.php"
