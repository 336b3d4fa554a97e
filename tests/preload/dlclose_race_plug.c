/* The plugin of tests/progs/dlclose_race: closes the numbers it is given. */
#include <unistd.h>

void plug_inner(int *fds, int n);
void plug_close_all(int *fds, int n);
__attribute__((noinline)) void plug_inner(int *fds, int n) { for (int i = 0; i < n; i++) close(fds[i]); __asm__ volatile("":::"memory"); }
__attribute__((noinline)) void plug_close_all(int *fds, int n) { plug_inner(fds, n); __asm__ volatile("":::"memory"); }
