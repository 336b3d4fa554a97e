/* Writes its argument to standard output through stdio and returns from
 * main: the answer stays in the stream's buffer (a socket is not a
 * terminal: fully buffered) until exit() flushes it, after the
 * destructors, the shim's included.
 *   stdio_answer TEXT */
#include "progs.h"

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	fputs(argv[1], stdout);
	return 0;
}
