/* A library whose constructor, run by dlopen with the loader's lock held,
 * tells the program it has started (a byte on fd SLOW_CTOR_STARTED) and
 * waits for leave to go on (a byte on fd SLOW_CTOR_GO): for
 * tests/progs/handler_record_during_dlopen.c. */
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void slow_ctor(void)
{
	const char *started = getenv("SLOW_CTOR_STARTED"), *go = getenv("SLOW_CTOR_GO");
	char c = 's';

	if (!started || !go)
		return;
	if (write(atoi(started), &c, 1) != 1)
		return;
	while (read(atoi(go), &c, 1) < 0)
		;
}
