/* A close in a function that never returns (an error handler that closes
 * and exits), called as the last thing its caller does: the caller's frame
 * returns to one past its last instruction, which is where the next
 * function starts (the three are kept in this order, packed:
 * -falign-functions=1 is not needed, the next function's alignment pads
 * at most).  close(-1) in give_up() makes a close_error whose frames must
 * name give_up and then fail_here, not next_function. */
#include "progs.h"

__attribute__((noinline, noreturn)) void give_up(int code)
{
	close(-1);
	_exit(code);
}

__attribute__((noinline, noreturn)) void fail_here(int code)
{
	give_up(code + 1);
}

__attribute__((noinline)) int next_function(int x)
{
	return x * 3 + 1;
}

int main(int argc, char **argv)
{
	(void)argv;
	if (argc > 5)
		return next_function(argc);
	fail_here(4); /* exits 5 */
}
