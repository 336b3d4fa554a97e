/* Plugins loaded after the supervisor's unwinder has read the module list,
 * one soon after the other: each one's frames must be in the backtraces of
 * its closes.
 *
 *   late_plugins DIR GAP_MS
 * A double close from main; 200 ms later dlopens DIR/late_plug_a.so and
 * calls it (a double close); GAP_MS later dlopens DIR/late_plug_b.so and
 * calls it 20 times, 50 ms apart.  Exits 0. */
#include "progs.h"

#include <dlfcn.h>
#include <time.h>

static void ms(int n)
{
	struct timespec t = {n / 1000, (n % 1000) * 1000000L};

	nanosleep(&t, NULL);
}

NOINLINE void main_closer(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	close(fd);
	close(fd);
}

static void *plugin(const char *dir, const char *name, const char *fn)
{
	char path[4096];
	void *h, *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (!(h = dlopen(path, RTLD_NOW)) || !(f = dlsym(h, fn)))
		die("dlopen");
	return f;
}

int main(int argc, char **argv)
{
	void (*a)(void), (*b)(void);

	if (argc != 3)
		die("usage: late_plugins DIR GAP_MS");
	main_closer(); /* the unwinder is made: the module list read */
	ms(200);
	a = (void (*)(void))plugin(argv[1], "late_plug_a.so", "late_closer_a");
	a(); /* a return address in no module known: the list read again */
	ms(atoi(argv[2]));
	b = (void (*)(void))plugin(argv[1], "late_plug_b.so", "late_closer_b");
	for (int i = 0; i < 20; i++) {
		b();
		ms(50);
	}
	return 0;
}
