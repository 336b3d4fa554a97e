/* main() calls a -O0 library's lib_closer() through the PLT (a call rel32
 * to the PLT entry, not to the function): the supervisor, guessing
 * lib_closer()'s frame pointer, must take main()'s return address for a
 * call into it.  Prints "close: 0", exits 0. */
#include "progs.h"

int lib_closer(int fd);

int main(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0)
		die("socket");
	printf("close: %d\n", lib_closer(s));
	return 0;
}
