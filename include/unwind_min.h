/* The few names of libunwind's interface that shim/backtrace.c uses, for a
 * build without libunwind's header for its target: the i386 library built
 * with gcc -m32 on an amd64 host, where only the amd64 libunwind-dev is
 * installed.  libunwind is dlopen()ed, never linked, so its header gives
 * nothing but these types and names (libunwind-common.h); the library
 * itself comes from the libunwind8 of the program's architecture, or
 * backtraces are off with a backtrace_disabled record. */
#ifndef SHIM_UNWIND_MIN_H
#define SHIM_UNWIND_MIN_H

typedef struct unw_addr_space *unw_addr_space_t;
typedef enum { UNW_CACHE_NONE, UNW_CACHE_GLOBAL, UNW_CACHE_PER_THREAD } unw_caching_policy_t;

/* UNW_LOCAL_ONLY's names: _UL<target>_<function> */
#if defined(__i386__)
#define unw_set_caching_policy _ULx86_set_caching_policy
#define unw_local_addr_space _ULx86_local_addr_space
#elif defined(__x86_64__)
#define unw_set_caching_policy _ULx86_64_set_caching_policy
#define unw_local_addr_space _ULx86_64_local_addr_space
#else
#error "no libunwind.h for this target: install libunwind-dev"
#endif

#endif
