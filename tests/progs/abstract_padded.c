/* A unix socket bound in the abstract namespace the common C way, with
 * the whole struct sockaddr_un as its length: the name is padded with NUL
 * bytes, which the shim's records carry as \u0000 (valid JSON).  Connects
 * to itself, accepts, closes.
 *
 *   abstract_padded NAME */
#include "progs.h"

#include <sys/un.h>

int main(int argc, char **argv)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int l, c, s;

	if (argc != 2 || strlen(argv[1]) + 2 > sizeof a.sun_path) {
		fprintf(stderr, "usage: abstract_padded NAME\n");
		return 2;
	}
	strcpy(a.sun_path + 1, argv[1]);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 1) != 0)
		die("listen");
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) != 0)
		die("connect");
	s = accept(l, NULL, NULL);
	if (s < 0)
		die("accept");
	close(s);
	close(c);
	close(l);
	return 0;
}
