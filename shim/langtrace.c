/* Frames in the program's own language (see langtrace.h).
 *
 * Python: CPython exports faulthandler's dumper, _Py_DumpTraceback(fd,
 * tstate), and PyGILState_GetThisThreadState().  The dumper walks the
 * thread's frames without the GIL, allocates nothing and only write(2)s;
 * it is what CPython itself runs in a SIGSEGV handler.  Its text ("  File
 * \"srv.py\", line 5 in answer_and_close") has kept one form from 3.3 to
 * 3.13, so the shim needs no knowledge of the interpreter's structures,
 * which change with every minor version (and with debug builds): walking
 * them directly would be a guess for any version not tested here.  The
 * price is one write(2) per piece of text (3.11 writes name characters one
 * by one), paid only for records, and turned off by SOCKSHIM_LANG_FRAMES=0.
 * The text goes to a memfd of the shim's own, at a private high number
 * (privfd.h): never blocks, never fills, never one of the program's.
 *
 * Ruby: rb_profile_frames (what stackprof calls from its signal handler)
 * gives the frames and their current lines; rb_profile_frame_path and
 * _label only read the instruction sequence's location (no allocation) for
 * Ruby-level frames, which are the only ones kept.  Their strings are read
 * with the RString layout of Ruby 3.0 and 3.1 (Debian 12's), checked
 * through the runtime's own ruby_api_version: another version gets no
 * frames, not a guess.
 *
 * The JVM's walker lives with its agent (jvmagent.c). */
#define _GNU_SOURCE
#include "langtrace.h"

#include <dlfcn.h>
#include <link.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "backtrace.h"
#include "coldmem.h"
#include "config.h"
#include "elfsym.h"
#include "privfd.h"
#include "record.h"
#include "symcache.h"
#include "sys.h"

/* Captures in progress at once (threads and nested handlers); more get no
 * language frames. */
#define LANG_POOL 32

struct lang_slot {
	struct lang_capture cap;
	union {
		struct {
			uintptr_t frames[LANG_FRAMES_MAX];
			int lines[LANG_FRAMES_MAX];
		} rb;
		_Alignas(16) char jvm[LANG_JVM_SCRATCH];
	} scratch;
};

static struct lang_slot pool[LANG_POOL] COLD_RARE;
static int pool_taken[LANG_POOL];
/* The memfd of each pool entry (a privfd slot), -1: not made yet. */
static int memfd_slot[LANG_POOL] = {[0 ... LANG_POOL - 1] = -1};

/* ---- Python -------------------------------------------------------- */
static struct {
	void *(*this_thread_state)(void);
	void (*dump)(int fd, void *tstate);
	int (*finalizing)(void);
} py;

/* ---- Ruby ---------------------------------------------------------- */
typedef uintptr_t rb_value;
static struct {
	int (*native_thread_p)(void);
	int (*frames)(int start, int limit, rb_value *buf, int *lines);
	rb_value (*path)(rb_value frame);
	rb_value (*label)(rb_value frame);
	void *const *vm_ptr; /* ruby_current_vm_ptr: NULL before and after the VM */
} rb;

static lang_jvm_walk_fn *jvm_walk;
static bool lazy_on; /* langtrace_init ran: look for runtimes loaded later */

/* Where a runtime's symbols come from: the process's global scope (dlsym,
 * at load) or one object's own table (elfsym.h, for one that came later). */
typedef void *lookup_fn(void *ctx, const char *name);

/* Whether some loaded object may define a name, asked of each one's GNU
 * hash table (elfsym.h) before dlsym is: a dlsym that fails leaves its
 * message in memory malloc'd for dlerror (and dlerror reads it into more),
 * so in a program that never allocates, the start of every program that
 * is neither Python nor Ruby made the heap: one 2 MiB region more written,
 * whose page table each fork copies and each child's exit frees (tools/
 * bench fork-server's server: 7 such regions at the default level, 6 at
 * events=none and bare).  An object without a GNU hash table may define
 * it: dlsym decides then, as it always decides what is found.  (elfsym
 * skips thread-local symbols: fine for the functions and variables looked
 * up here, none of them TLS; a TLS name added to them would read as
 * absent.) */
struct maybe_defined {
	const char *name;
	bool maybe;
};

static int maybe_in_object(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct maybe_defined *m = ctx;
	struct elfsym_object obj = {info->dlpi_addr, NULL};
	bool gnu_hash = false;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			obj.dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
	if (!obj.dyn)
		return 0; /* no dynamic symbols */
	for (const ElfW(Dyn) *d = obj.dyn; d->d_tag != DT_NULL && !gnu_hash; d++)
		gnu_hash = d->d_tag == DT_GNU_HASH;
	m->maybe = !gnu_hash || elfsym_lookup(&obj, m->name) != NULL;
	return m->maybe; /* (1 ends the walk) */
}

static void *lookup_global(void *ctx, const char *name)
{
	struct maybe_defined m = {name, false};

	(void)ctx;
	dl_iterate_phdr(maybe_in_object, &m);
	return m.maybe ? dlsym(RTLD_DEFAULT, name) : NULL;
}

static void *lookup_object(void *ctx, const char *name)
{
	return elfsym_lookup(ctx, name);
}

/* A runtime found after the start lives in one object: it is asked only
 * by a thread whose native backtrace runs through that object (so the
 * object is loaded, relocated and initialised, and the thread is one of
 * the runtime's: its thread-local storage exists).  0..0: found at load,
 * no condition. */
struct span {
	uintptr_t lo, hi;
};
static struct span py_span, rb_span;

static bool init_python(lookup_fn *lookup, void *ctx, const struct span *where)
{
	/* The first one answers for most programs, which are not Python. */
	void *tstate = lookup(ctx, "PyGILState_GetThisThreadState");
	void *dump, *fin;

	if (!tstate)
		return false;
	dump = lookup(ctx, "_Py_DumpTraceback");
	fin = lookup(ctx, "_Py_IsFinalizing");
	if (!fin)
		fin = lookup(ctx, "Py_IsFinalizing"); /* 3.13 */
	if (!dump || !fin)
		return false;
	py.dump = (void (*)(int, void *))dump;
	py.finalizing = (int (*)(void))fin;
	if (where)
		py_span = *where;
	__atomic_store_n(&py.this_thread_state, (void *(*)(void))tstate, __ATOMIC_RELEASE);
	return true;
}

static bool init_ruby(lookup_fn *lookup, void *ctx, const struct span *where)
{
	void *frames = lookup(ctx, "rb_profile_frames");
	const int *api;

	if (!frames)
		return false;
	api = lookup(ctx, "ruby_api_version");
	/* RString as rb_string_bytes reads it: Ruby 3.0 and 3.1 (3.2 moved the
	 * embedded length). */
	if (!api || api[0] != 3 || (api[1] != 0 && api[1] != 1))
		return false;
	rb.path = (rb_value(*)(rb_value))lookup(ctx, "rb_profile_frame_path");
	rb.label = (rb_value(*)(rb_value))lookup(ctx, "rb_profile_frame_label");
	rb.vm_ptr = lookup(ctx, "ruby_current_vm_ptr");
	rb.native_thread_p = (int (*)(void))lookup(ctx, "ruby_native_thread_p");
	if (!rb.path || !rb.label || !rb.vm_ptr || !rb.native_thread_p)
		return false;
	if (where)
		rb_span = *where;
	__atomic_store_n(&rb.frames, (int (*)(int, int, rb_value *, int *))frames,
			 __ATOMIC_RELEASE);
	return true;
}

void langtrace_init(void)
{
	if (!shim_cfg.lang_frames)
		return;
	init_python(lookup_global, NULL, NULL);
	init_ruby(lookup_global, NULL, NULL);
	/* a missing symbol leaves a message for dlerror(): not the program's */
	dlerror();
	__atomic_store_n(&lazy_on, true, __ATOMIC_RELEASE);
}

/* ---- runtimes loaded later ----------------------------------------- */

/* A libpython or libruby that dlopen brought in after the start (mod_wsgi
 * in Apache, a C program embedding Python): seen when the loader's count
 * of objects added changes, used once a backtrace runs through it. */
#define CANDIDATES 4
enum { RT_PYTHON, RT_RUBY };
static struct candidate {
	struct elfsym_object obj;
	struct span span;
	int kind;
	bool tried;
} candidates[CANDIDATES];
static int n_candidates;
static unsigned long long scanned_adds; /* dlpi_adds at the last scan */
static int scanning;

struct scan {
	unsigned long long adds;
	bool all; /* every object, else the first only (for its counts) */
};

static int scan_object(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct scan *sc = ctx;
	const char *name = info->dlpi_name, *base = name;
	struct candidate c;

	if (size < offsetof(struct dl_phdr_info, dlpi_subs))
		return 1; /* no counts: no lazy look-up */
	sc->adds = info->dlpi_adds;
	if (!sc->all)
		return 1;
	for (const char *p = name; p && *p; p++)
		if (*p == '/')
			base = p + 1;
	if (!base)
		return 0;
	if (strncmp(base, "libpython3", 10) == 0)
		c.kind = RT_PYTHON;
	else if (strncmp(base, "libruby", 7) == 0)
		c.kind = RT_RUBY;
	else
		return 0;
	c.obj.base = info->dlpi_addr;
	c.obj.dyn = NULL;
	c.span.lo = UINTPTR_MAX;
	c.span.hi = 0;
	c.tried = false;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_DYNAMIC)
			c.obj.dyn = (const ElfW(Dyn) *)start;
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			if (start < c.span.lo)
				c.span.lo = start;
			if (start + ph->p_memsz > c.span.hi)
				c.span.hi = start + ph->p_memsz;
		}
	}
	for (int i = 0; i < n_candidates; i++)
		if (candidates[i].obj.base == c.obj.base)
			return 0;
	if (c.obj.dyn && c.span.lo < c.span.hi && n_candidates < CANDIDATES) {
		candidates[n_candidates] = c;
		__atomic_store_n(&n_candidates, n_candidates + 1, __ATOMIC_RELEASE);
	}
	return 0;
}

static bool in_span(const struct span *s, void *const *bt, int n)
{
	for (int i = 0; i < n; i++)
		if ((uintptr_t)bt[i] >= s->lo && (uintptr_t)bt[i] < s->hi)
			return true;
	return false;
}

/* The loader's list of objects, walked with dl_iterate_phdr, which takes
 * the loader's lock: at most once a second (a coarse clock read per record
 * otherwise), one thread at a time (a try, never a wait), and with the
 * signals blocked, so that no handler of this thread can interrupt it
 * half-way into the lock and then unwind (libunwind takes the same lock).
 * A handler that interrupts libunwind or dladdr in this thread gets no
 * backtrace (backtrace.h), and so never comes here. */
static void scan_objects(void)
{
	static time_t last;
	struct timespec now;
	struct scan sc = {0, false};
	sigset_t all, old;
	int zero = 0;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	if (now.tv_sec == __atomic_load_n(&last, __ATOMIC_RELAXED) ||
	    !__atomic_compare_exchange_n(&scanning, &zero, 1, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&last, now.tv_sec, __ATOMIC_RELAXED);
	sigfillset(&all);
	/* faults stay faults */
	sigdelset(&all, SIGSEGV), sigdelset(&all, SIGBUS), sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL), sigdelset(&all, SIGTRAP), sigdelset(&all, SIGSYS);
	/* (not from a handler that interrupted a walk of the shim's; the
	 * walk's end marked, and scanning cleared, before the mask is
	 * restored: a handler that runs then and siglongjmps leaves neither
	 * set for ever, regress_longjmp_out_of_walk) */
	if (sys_sigprocmask(SIG_BLOCK, &all, &old) == 0) {
		if (symcache_walk_begin()) {
			dl_iterate_phdr(scan_object, &sc);
			if (sc.adds != scanned_adds) {
				sc.all = true;
				dl_iterate_phdr(scan_object, &sc);
				scanned_adds = sc.adds;
			}
			symcache_walk_end();
		}
		__atomic_store_n(&scanning, 0, __ATOMIC_RELEASE);
		sys_sigprocmask(SIG_SETMASK, &old, NULL);
		return;
	}
	__atomic_store_n(&scanning, 0, __ATOMIC_RELEASE);
}

/* A runtime that came after the start, found when a backtrace runs through
 * it; its symbols are read from its own table (memory reads only). */
static void lazy_find(void *const *bt, int n)
{
	scan_objects();
	for (int i = 0; i < __atomic_load_n(&n_candidates, __ATOMIC_ACQUIRE); i++) {
		struct candidate *c = &candidates[i];
		int zero2 = 0;

		if (c->tried || !in_span(&c->span, bt, n) ||
		    !__atomic_compare_exchange_n(&scanning, &zero2, 1, false, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			continue;
		if (!c->tried) {
			c->tried = true;
			if (c->kind == RT_PYTHON && !__atomic_load_n(&py.this_thread_state, __ATOMIC_ACQUIRE))
				init_python(lookup_object, &c->obj, &c->span);
			else if (c->kind == RT_RUBY && !__atomic_load_n(&rb.frames, __ATOMIC_ACQUIRE))
				init_ruby(lookup_object, &c->obj, &c->span);
		}
		__atomic_store_n(&scanning, 0, __ATOMIC_RELEASE);
	}
}

void langtrace_set_jvm(lang_jvm_walk_fn *walk)
{
	__atomic_store_n(&jvm_walk, walk, __ATOMIC_RELEASE);
}

SHIM_FORK_TEXT void langtrace_after_fork_child(void)
{
	/* privfd_close_in_child closed and freed the slots; a capture that was
	 * in progress in another thread of the parent does not exist here. */
	/* (each written only if it must change: a page written in a forked
	 * child is a copy-on-write fault, and forking servers fork a child
	 * per connection) */
	for (int i = 0; i < LANG_POOL; i++) {
		if (memfd_slot[i] != -1)
			memfd_slot[i] = -1;
		if (pool_taken[i])
			pool_taken[i] = 0;
	}
	if (scanning)
		scanning = 0; /* a scan in another thread of the parent */
}

const char *langtrace_keep(struct lang_capture *cap, const char *s, size_t n)
{
	char *at;

	if (n > sizeof cap->text - cap->text_len)
		return NULL;
	at = cap->text + cap->text_len;
	memcpy(at, s, n);
	cap->text_len += n;
	return at;
}

/* ---- Python -------------------------------------------------------- */

/* Parses one line "  File \"F\", line N in NAME" (without its newline) at
 * s[len].  The file name may itself hold "\", line ": the last one counts. */
static bool parse_python_line(const char *s, size_t len, struct lang_frame *f)
{
	static const char head[] = "  File \"", mid[] = "\", line ", in[] = " in ";
	const char *end = s + len, *m = NULL, *p, *name;
	long line = 0;
	bool digits = false;

	if (len < sizeof head - 1 || memcmp(s, head, sizeof head - 1) != 0)
		return false;
	for (p = s + sizeof head - 1; p + sizeof mid - 1 <= end; p++)
		if (memcmp(p, mid, sizeof mid - 1) == 0)
			m = p;
	if (!m)
		return false;
	p = m + sizeof mid - 1;
	if (p + 3 <= end && memcmp(p, "???", 3) == 0) {
		line = -1, p += 3, digits = true;
	} else {
		for (; p < end && *p >= '0' && *p <= '9'; p++, digits = true)
			if (line < 100000000)
				line = line * 10 + (*p - '0');
	}
	if (!digits || p + sizeof in - 1 > end || memcmp(p, in, sizeof in - 1) != 0)
		return false;
	name = p + sizeof in - 1;
	f->lang = "python";
	f->file = s + sizeof head - 1;
	f->file_len = (uint16_t)(m - f->file);
	f->function = name;
	f->function_len = (uint16_t)(end - name);
	f->line = (int)line;
	return true;
}

int langtrace_parse_python(struct lang_capture *cap, int max)
{
	const char *s = cap->text, *end = cap->text + cap->text_len;

	cap->n = 0;
	while (s < end && cap->n < max && cap->n < LANG_FRAMES_MAX) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));

		if (!nl)
			break; /* a line cut by the buffer's end */
		if (parse_python_line(s, (size_t)(nl - s), &cap->frames[cap->n]))
			cap->n++;
		s = nl + 1;
	}
	return cap->n;
}

/* The privfd slot of pool entry i's memfd, made at its first use. */
static int python_memfd(int i)
{
	int slot = __atomic_load_n(&memfd_slot[i], __ATOMIC_ACQUIRE);
	int fd;

	if (slot >= 0)
		return slot;
	fd = (int)SYS6(SYS_memfd_create, "sockshim-lang", MFD_CLOEXEC, 0, 0, 0, 0);
	if (fd < 0)
		return -1;
	slot = privfd_adopt(fd);
	sys_close(fd);
	if (slot >= 0)
		__atomic_store_n(&memfd_slot[i], slot, __ATOMIC_RELEASE);
	return slot;
}

static int capture_python(int i, int max, void *const *bt, int bt_n)
{
	struct lang_capture *cap = &pool[i].cap;
	void *(*this_thread_state)(void) = __atomic_load_n(&py.this_thread_state, __ATOMIC_ACQUIRE);
	void *tstate;
	int slot, fd;
	long len;

	if (!this_thread_state || (py_span.hi && !in_span(&py_span, bt, bt_n)) || py.finalizing())
		return 0;
	tstate = this_thread_state();
	if (!tstate)
		return 0; /* a thread Python does not know */
	if ((slot = python_memfd(i)) < 0)
		return 0;
	if ((fd = privfd_get(slot)) < 0)
		return 0;
	py.dump(fd, tstate);
	len = SYS6(SYS_lseek, fd, 0, SEEK_CUR, 0, 0, 0);
	if (len > (long)sizeof cap->text)
		len = (long)sizeof cap->text;
	len = len > 0 ? SYS6(SYS_pread64, fd, cap->text, len, 0, 0, 0) : 0;
	/* The next dump overwrites from the start; only its own length is
	 * read (the file keeps the size of the longest, bounded by CPython's
	 * 100 frames of at most 500 characters per name). */
	SYS6(SYS_lseek, fd, 0, SEEK_SET, 0, 0, 0);
	privfd_put(slot);
	cap->text_len = len > 0 ? (size_t)len : 0;
	return langtrace_parse_python(cap, max);
}

/* ---- Ruby ---------------------------------------------------------- */

#define RB_T_MASK 0x1f
#define RB_T_STRING 0x05
#define RB_FL_USHIFT 12
#define RB_STR_NOEMBED ((rb_value)1 << (RB_FL_USHIFT + 1))
#define RB_STR_EMBED_LEN(flags) (((flags) >> (RB_FL_USHIFT + 2)) & 0x1f)

/* A String's bytes (Ruby 3.0/3.1 layout: flags, klass, then either the
 * embedded bytes or len, ptr); false for anything else. */
static bool rb_string_bytes(rb_value v, const char **s, size_t *n)
{
	const rb_value *o = (const rb_value *)v;

	if (v == 0 || (v & 7) != 0) /* nil, false, immediates */
		return false;
	if ((o[0] & RB_T_MASK) != RB_T_STRING)
		return false;
	if (o[0] & RB_STR_NOEMBED) {
		*n = (size_t)o[2];
		*s = (const char *)o[3];
	} else {
		*n = (size_t)RB_STR_EMBED_LEN(o[0]);
		*s = (const char *)&o[2];
	}
	return *s != NULL && *n < 65536;
}

static int capture_ruby(int i, int max, void *const *bt, int bt_n)
{
	struct lang_slot *ls = &pool[i];
	struct lang_capture *cap = &ls->cap;
	int (*frames)(int, int, rb_value *, int *) = __atomic_load_n(&rb.frames, __ATOMIC_ACQUIRE);
	int got;

	if (!frames || (rb_span.hi && !in_span(&rb_span, bt, bt_n)) || !*rb.vm_ptr ||
	    !rb.native_thread_p())
		return 0; /* no VM, or a thread Ruby does not know */
	got = frames(0, max, ls->scratch.rb.frames, ls->scratch.rb.lines);
	cap->n = 0;
	for (int k = 0; k < got && k < LANG_FRAMES_MAX; k++) {
		struct lang_frame *f = &cap->frames[cap->n];
		const char *s;
		size_t n;

		/* a C function's frame (IO#close) has no line: the program's
		 * code is the Ruby frame under it */
		if (ls->scratch.rb.lines[k] <= 0)
			continue;
		if (!rb_string_bytes(rb.label(ls->scratch.rb.frames[k]), &s, &n) ||
		    !(f->function = langtrace_keep(cap, s, n)))
			continue;
		f->function_len = (uint16_t)n;
		if (!rb_string_bytes(rb.path(ls->scratch.rb.frames[k]), &s, &n) ||
		    !(f->file = langtrace_keep(cap, s, n)))
			continue;
		f->file_len = (uint16_t)n;
		f->lang = "ruby";
		f->line = ls->scratch.rb.lines[k];
		cap->n++;
	}
	return cap->n;
}

/* ---- the capture --------------------------------------------------- */

bool langtrace_wants_native_frames(void)
{
	/* (the JVM's walk reads its own frames, not the native ones) */
	return shim_cfg.lang_frames &&
	       (__atomic_load_n(&py.this_thread_state, __ATOMIC_ACQUIRE) ||
		__atomic_load_n(&rb.frames, __ATOMIC_ACQUIRE) ||
		__atomic_load_n(&n_candidates, __ATOMIC_ACQUIRE) > 0);
}

struct lang_capture *langtrace_capture(int max, void *const *bt, int bt_n, bool lookup)
{
	int i, n = 0;
	lang_jvm_walk_fn *jvm;

	if (!shim_cfg.lang_frames)
		return NULL;
	/* (the lazy look-up walks the loader's list: never in a signal
	 * handler, nor in a child forked while another thread may have held
	 * the list's lock: regress_fork_child_loader_lock) */
	if (lookup && symcache_loader_walkable() && __atomic_load_n(&lazy_on, __ATOMIC_ACQUIRE) &&
	    (!__atomic_load_n(&py.this_thread_state, __ATOMIC_ACQUIRE) ||
	     !__atomic_load_n(&rb.frames, __ATOMIC_ACQUIRE)))
		lazy_find(bt, bt_n);
	jvm = __atomic_load_n(&jvm_walk, __ATOMIC_ACQUIRE);
	if (!__atomic_load_n(&py.this_thread_state, __ATOMIC_ACQUIRE) &&
	    !__atomic_load_n(&rb.frames, __ATOMIC_ACQUIRE) && !jvm)
		return NULL;
	if (max > LANG_FRAMES_MAX)
		max = LANG_FRAMES_MAX;
	for (i = 0; i < LANG_POOL; i++) {
		int free_ = 0;

		if (__atomic_load_n(&pool_taken[i], __ATOMIC_RELAXED) == 0 &&
		    __atomic_compare_exchange_n(&pool_taken[i], &free_, 1, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			break;
	}
	if (i == LANG_POOL)
		return NULL;
	pool[i].cap.text_len = 0;
	pool[i].cap.n = 0;
	n = capture_python(i, max, bt, bt_n);
	if (n == 0)
		n = capture_ruby(i, max, bt, bt_n);
	if (n == 0 && jvm)
		n = jvm(&pool[i].cap, max, pool[i].scratch.jvm);
	if (n == 0) {
		__atomic_store_n(&pool_taken[i], 0, __ATOMIC_RELEASE);
		return NULL;
	}
	pool[i].cap.n = n;
	return &pool[i].cap;
}

void langtrace_release(struct lang_capture *cap)
{
	if (cap) {
		int i = (int)((struct lang_slot *)(void *)cap - pool);

		__atomic_store_n(&pool_taken[i], 0, __ATOMIC_RELEASE);
	}
}

static uint64_t mix(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t langtrace_site(uint64_t site, const struct lang_frame *f, int n)
{
	uint64_t h = site;

	for (int i = 0; i < n && i < BT_SITE_FRAMES; i++) {
		const char *base = f[i].file;
		char line[12], *d = rec_digits((uint64_t)(f[i].line + 1), 10, line + sizeof line);

		for (size_t k = 0; k < f[i].file_len; k++)
			if (f[i].file[k] == '/')
				base = f[i].file + k + 1;
		h = mix(h, f[i].function, f[i].function_len);
		h = mix(h, "\0", 1);
		h = mix(h, base, (size_t)(f[i].file + f[i].file_len - base));
		h = mix(h, "\0", 1);
		h = mix(h, d, (size_t)(line + sizeof line - d));
	}
	return h;
}

void langtrace_release_frames(const struct lang_frame *frames)
{
	if (frames)
		langtrace_release((struct lang_capture *)(void *)((const char *)frames -
								   offsetof(struct lang_capture, frames)));
}

void langtrace_add(struct record *r, const char *key, const struct lang_frame *f, int n)
{
	rec_array_begin(r, key);
	for (int i = 0; i < n; i++) {
		struct rec_mark m;

		rec_mark(r, &m);
		rec_object_begin(r, NULL);
		rec_str(r, "lang", f[i].lang);
		rec_strn(r, "function", f[i].function, f[i].function_len);
		if (f[i].file_len > 0)
			rec_strn(r, "file", f[i].file, f[i].file_len);
		if (f[i].line >= 0)
			rec_int(r, "line", f[i].line);
		rec_object_end(r);
		if (r->full) { /* the frame did not fit: cut here */
			rec_rollback(r, &m);
			r->truncated = true;
			break;
		}
	}
	rec_array_end(r);
}
