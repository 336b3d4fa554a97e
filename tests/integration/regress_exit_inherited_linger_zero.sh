# A socket the program did not see made (passed through exec) on which it
# set SO_LINGER {1, 0}: its number was known by that flag alone, and the
# exit's learning of such numbers (3651630) made it a plain socket again,
# the flag lost: the reset the exit then sends had no linger_zero record
# (and graceful mode would not say it replaced the program's choice).
. "$(dirname "$0")/../lib.sh"
run_with_inherited_socket SOCKSHIM_LOG="$WORK/lz.log" -- python3 -c '
import socket, struct
s = socket.socket(fileno=3)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.detach()' || fail "the program under the shim: exit $?"
check_log "$WORK/lz.log" --event close_rst --where fd=3 --where reason=linger_zero --count 1
note "the inherited socket's SO_LINGER {1, 0} reset at exit was recorded"
