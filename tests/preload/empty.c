/* A preloaded library that does nothing: make bench's floor for what any
 * library loaded with LD_PRELOAD costs a program (its mappings copied at
 * every fork and torn down at every exit, the loader's work at start),
 * against which the shim's own cost is measured.  One object, so that the
 * library has the usual segments. */
int sockshim_bench_empty_library;
