/* Event records: the fields every record has, then those of the event. */
#define _GNU_SOURCE
#include "event.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "backtrace.h"
#include "call.h"
#include "coldmem.h"
#include "fdtab.h"
#include "langtrace.h"
#include "proc.h"
#include "ratelimit.h"
#include "record.h"
#include "sockshim.h"
#include "sys.h"

static const char *family_name(enum fd_family f)
{
	switch (f) {
	case FAM_INET: return "inet";
	case FAM_INET6: return "inet6";
	case FAM_UNIX: return "unix";
	default: return NULL;
	}
}

static const char *type_name(enum fd_type t)
{
	switch (t) {
	case TYPE_STREAM: return "stream";
	case TYPE_DGRAM: return "dgram";
	case TYPE_SEQPACKET: return "seqpacket";
	default: return NULL;
	}
}

/* Decimal digits of v at p; returns the end. */
static char *put_decimal(char *p, unsigned v)
{
	char digits[20], *d = rec_digits(v, 10, digits + sizeof digits);

	while (d < digits + sizeof digits)
		*p++ = *d++;
	return p;
}

/* "a.b.c.d" at p (16 bytes at most); returns the end. */
static char *put_ipv4(char *p, const unsigned char *a)
{
	for (int i = 0; i < 4; i++) {
		if (i)
			*p++ = '.';
		p = put_decimal(p, a[i]);
	}
	return p;
}

/* An IPv6 address as inet_ntop(3) writes it (RFC 5952: lower-case hex,
 * the longest run of two or more zero groups as "::", IPv4-mapped and
 * -compatible addresses with their IPv4 part dotted), at p (46 bytes at
 * most); returns the end.  Written here because glibc's inet_ntop formats
 * through sprintf, whose stack use (a kilobyte and more) a signal handler
 * on a small alternate stack cannot afford. */
static char *put_ipv6(char *p, const unsigned char *a)
{
	static const char hex[] = "0123456789abcdef";
	unsigned w[8];
	int best = -1, best_len = 0, run = -1, run_len = 0;

	for (int i = 0; i < 8; i++)
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	for (int i = 0; i <= 8; i++) {
		if (i < 8 && w[i] == 0) {
			if (run < 0)
				run = i, run_len = 0;
			run_len++;
		} else if (run >= 0) {
			if (run_len > best_len)
				best = run, best_len = run_len;
			run = -1;
		}
	}
	if (best_len < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i)
			*p++ = ':';
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)))
			return put_ipv4(p, a + 12);
		{
			bool lead = true;

			for (int shift = 12; shift >= 0; shift -= 4) {
				unsigned nib = (w[i] >> shift) & 15;

				if (lead && nib == 0 && shift > 0)
					continue;
				lead = false;
				*p++ = hex[nib];
			}
		}
	}
	if (best >= 0 && best + best_len == 8)
		*p++ = ':';
	return p;
}

/* Formats an address into out[size] as "127.0.0.1:8080", "[::1]:8080", a
 * unix path ("@name" for the abstract namespace, NULs kept); returns its
 * length, 0 for an unnamed or unknown address. */
static size_t format_address(const struct sockaddr *ss, socklen_t len, char *out, size_t size)
{
	char *p;
	unsigned port;

	if (ss->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		if (size < 24)
			return 0;
		p = put_ipv4(out, (const unsigned char *)&in->sin_addr);
		port = ntohs(in->sin_port);
	} else if (ss->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		if (size < 56)
			return 0;
		out[0] = '[';
		p = put_ipv6(out + 1, (const unsigned char *)&in6->sin6_addr);
		*p++ = ']';
		port = ntohs(in6->sin6_port);
	} else if (ss->sa_family == AF_UNIX && len > offsetof(struct sockaddr_un, sun_path)) {
		const struct sockaddr_un *un = (const struct sockaddr_un *)ss;
		size_t n = len - offsetof(struct sockaddr_un, sun_path);

		if (n >= size)
			n = size - 1;
		if (un->sun_path[0] == '\0') { /* abstract */
			out[0] = '@';
			memcpy(out + 1, un->sun_path + 1, n - 1);
			return n;
		}
		n = strnlen(un->sun_path, n);
		memcpy(out, un->sun_path, n);
		return n;
	} else {
		return 0;
	}
	*p++ = ':';
	p = put_decimal(p, port);
	return (size_t)(p - out);
}

/* One of fd's addresses (peer or local) into out[size]; its length. */
static size_t lookup_address(int fd, bool peer, char *out, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int r = peer ? sys_getpeername(fd, (struct sockaddr *)&ss, &len)
		     : sys_getsockname(fd, (struct sockaddr *)&ss, &len);

	return r == 0 ? format_address((const struct sockaddr *)&ss, len, out, size) : 0;
}

void event_lookup_addresses(int fd, struct event_addresses *a)
{
	a->local[lookup_address(fd, false, a->local, sizeof a->local)] = '\0';
	a->peer[lookup_address(fd, true, a->peer, sizeof a->peer)] = '\0';
}

/* The addresses the caller has (an inet socket's), through a small buffer:
 * this may run on a small alternate signal stack. */
__attribute__((noinline)) static void add_given_addresses(struct record *r,
							  const struct event_sockaddrs *a)
{
	char text[64];
	size_t n;

	if ((n = format_address(a->local, a->len, text, sizeof text)) > 0)
		rec_strn(r, "local", text, n);
	if ((n = format_address(a->peer, a->len, text, sizeof text)) > 0)
		rec_strn(r, "peer", text, n);
}

/* One of fd's addresses straight into the record: a unix path from the
 * kernel's answer itself, an inet address through a small buffer (this may
 * run on a small alternate signal stack). */
__attribute__((noinline)) static void add_address(struct record *r, int fd, bool peer)
{
	/* The text of an inet address goes in the unused tail of the kernel's
	 * answer: one buffer, not two, on what may be a small stack. */
	union {
		struct sockaddr_storage ss;
		struct sockaddr_un un;
		char bytes[sizeof(struct sockaddr_storage)];
	} a;
	socklen_t len = sizeof a.ss;
	char *text = a.bytes + 64;
	size_t n;
	int rc = peer ? sys_getpeername(fd, (struct sockaddr *)&a.ss, &len)
		      : sys_getsockname(fd, (struct sockaddr *)&a.ss, &len);
	const char *key = peer ? "peer" : "local";

	if (rc != 0)
		return;
	if (a.ss.ss_family == AF_UNIX) {
		if (len <= offsetof(struct sockaddr_un, sun_path))
			return; /* unnamed */
		n = len - offsetof(struct sockaddr_un, sun_path);
		if (n > sizeof a.un.sun_path)
			n = sizeof a.un.sun_path;
		if (a.un.sun_path[0] == '\0') /* abstract: "@name" */
			a.un.sun_path[0] = '@';
		else
			n = strnlen(a.un.sun_path, n);
		rec_strn(r, key, a.un.sun_path, n);
		return;
	}
	/* sockaddr_in6 is 28 bytes: the tail from 64 on is free */
	if ((n = format_address((const struct sockaddr *)&a.ss, len, text, sizeof a.bytes - 64)) > 0)
		rec_strn(r, key, text, n);
}

static void add_addresses(struct record *r, int fd)
{
	add_address(r, fd, false);
	add_address(r, fd, true);
}

/* Symbolic names of the options programs set most; others print as
 * numbers. */
static const char *option_name(int level, int option)
{
	static const struct {
		int level, option;
		const char *name;
	} names[] = {
		{SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR"}, {SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT"},
		{SOL_SOCKET, SO_LINGER, "SO_LINGER"},	     {SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE"},
		{SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF"},	     {SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF"},
		{SOL_SOCKET, SO_RCVTIMEO, "SO_RCVTIMEO"},     {SOL_SOCKET, SO_SNDTIMEO, "SO_SNDTIMEO"},
		{SOL_SOCKET, SO_BROADCAST, "SO_BROADCAST"},   {IPPROTO_TCP, 1, "TCP_NODELAY"},
		{IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY"},   {IPPROTO_IP, IP_TOS, "IP_TOS"},
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].level == level && names[i].option == option)
			return names[i].name;
	return NULL;
}

static const char *level_name(int level)
{
	switch (level) {
	case SOL_SOCKET: return "SOL_SOCKET";
	case IPPROTO_TCP: return "IPPROTO_TCP";
	case IPPROTO_IP: return "IPPROTO_IP";
	case IPPROTO_IPV6: return "IPPROTO_IPV6";
	default: return NULL;
	}
}

/* "site":"<16 hex digits>" */
__attribute__((noinline)) static void add_site(struct record *r, uint64_t site)
{
	char hex[20], *d = rec_digits(site, 16, hex + sizeof hex);

	while (d > hex + sizeof hex - 16)
		*--d = '0';
	rec_strn(r, "site", d, 16);
}

/* Frames named by the caller (event_foreign), with backtrace_add's fields
 * and its cut: a frame that does not fit is left out whole. */
static void add_frames(struct record *r, const char *key, const struct event_frame *f, int n)
{
	if (n <= 0)
		return;
	rec_array_begin(r, key);
	for (int i = 0; i < n; i++) {
		struct rec_frame out = {.ip = (uintptr_t)f[i].ip};
		bool was_full = r->full;

		if (f[i].module) {
			out.module = f[i].module;
			out.module_len = strlen(f[i].module);
			out.offset = (uintptr_t)f[i].offset;
			if (f[i].symbol) {
				out.symbol = f[i].symbol;
				out.symbol_len = strlen(f[i].symbol);
				out.symbol_off = (uintptr_t)f[i].symbol_off;
			}
		}
		rec_frame(r, &out);
		if (r->full) { /* the frame did not fit (none of it was written) */
			r->full = was_full;
			r->truncated = true;
			break;
		}
	}
	rec_array_end(r);
}

/* The records' "prog" and "host", formatted once: names of the process
 * that every record of it repeats, escaped at every record before.  Made
 * by the first record that finds none (the state goes 0 → 1 → 2 by
 * compare-and-swap: a record that finds it being made, in another thread
 * or in the code its handler interrupted, writes the names itself), and
 * never written again.  Used only while proc_prog and proc_host still hold
 * the names it was made of (the supervisor renames its program after
 * proc_init). */
static struct {
	int state;
	size_t len;
	char prog[sizeof proc_prog], host[sizeof proc_host];
	char text[1024]; /* "{" and both, escaped (6 bytes a byte at most) */
} prog_host;

/* The one-time build, out of line: its record stays off event_build's frame
 * (records are made in signal handlers on small alternate stacks). */
static __attribute__((noinline, cold)) int prog_host_make(void)
{
	struct record t;

	memcpy(prog_host.prog, proc_prog, sizeof proc_prog);
	memcpy(prog_host.host, proc_host, sizeof proc_host);
	rec_begin(&t, prog_host.text, sizeof prog_host.text);
	rec_str(&t, "prog", prog_host.prog);
	if (prog_host.host[0])
		rec_str(&t, "host", prog_host.host);
	prog_host.len = t.len - 1;
	return t.full ? 1 : 2; /* (never full: the names' sizes are bounded) */
}

static void add_prog_host(struct record *r)
{
	int st = __atomic_load_n(&prog_host.state, __ATOMIC_ACQUIRE);

	if (st == 0 && __atomic_compare_exchange_n(&prog_host.state, &st, 1, false,
						   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		st = prog_host_make();
		__atomic_store_n(&prog_host.state, st, __ATOMIC_RELEASE);
	}
	if (st == 2 && !memcmp(prog_host.prog, proc_prog, sizeof proc_prog) &&
	    !memcmp(prog_host.host, proc_host, sizeof proc_host)) {
		rec_members(r, prog_host.text + 1, prog_host.len);
		return;
	}
	rec_str(r, "prog", proc_prog);
	if (proc_host[0])
		rec_str(r, "host", proc_host);
}

void event_build(const struct event *ev, void *const *bt, int n, struct record *r, char *buf,
		 size_t cap)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	rec_begin(r, buf, cap);
	rec_time(r, "ts", &now);
	if (ev->foreign) {
		rec_int(r, "pid", ev->foreign->pid);
		rec_int(r, "tid", ev->foreign->tid);
		rec_str(r, "prog", ev->foreign->prog ? ev->foreign->prog : proc_prog);
		if (proc_host[0])
			rec_str(r, "host", proc_host);
	} else {
		rec_int(r, "pid", proc_pid);
		rec_int(r, "tid", proc_self_tid());
		add_prog_host(r);
	}
	rec_str_const(r, "event", ev->name);
	if (ev->fd != EVENT_NO_FD) {
		const char *fam = family_name(fd_family(ev->fd_state));
		const char *type = type_name(fd_type(ev->fd_state));

		rec_int(r, "fd", ev->fd);
		if (ev->fd >= 0 && (ev->fd_state & FD_SOCKET)) {
			if (fam)
				rec_str_const(r, "family", fam);
			if (type)
				rec_str_const(r, "type", type);
			if (ev->given_addresses) {
				if (ev->given_addresses->local[0])
					rec_str(r, "local", ev->given_addresses->local);
				if (ev->given_addresses->peer[0])
					rec_str(r, "peer", ev->given_addresses->peer);
			} else if (ev->given_sockaddrs) {
				add_given_addresses(r, ev->given_sockaddrs);
			} else if (ev->addresses) {
				add_addresses(r, ev->fd);
			}
		}
	}
	if (ev->err) {
		const char *name = strerrorname_np(ev->err);
		const char *text = strerrordesc_np(ev->err);

		if (name)
			rec_str_const(r, "errno", name);
		else
			rec_int(r, "errno", ev->err);
		if (text)
			rec_str_const(r, "error", text);
	}
	if (ev->reason)
		rec_str(r, "reason", ev->reason);
	if (ev->unread >= 0)
		rec_int(r, "unread", ev->unread);
	if (ev->drained >= 0)
		rec_int(r, "drained", ev->drained);
	if (ev->ms >= 0)
		rec_int(r, "ms", ev->ms);
	if (ev->mode)
		rec_str_const(r, "mode", ev->mode);
	if (ev->dropped >= 0)
		rec_int(r, "dropped", ev->dropped);
	if (ev->suppressed_event)
		rec_str_const(r, "suppressed_event", ev->suppressed_event);
	if (ev->count >= 0)
		rec_int(r, "count", ev->count);
	if (ev->has_site)
		add_site(r, ev->site);
	if (ev->version)
		rec_str(r, "version", ev->version);
	if (ev->variable)
		rec_str(r, "variable", ev->variable);
	if (ev->value)
		rec_str(r, "value", ev->value);
	if (ev->has_option) {
		const char *lname = level_name(ev->level);
		const char *oname = option_name(ev->level, ev->option);

		if (lname)
			rec_str_const(r, "level", lname);
		else
			rec_int(r, "level", ev->level);
		if (oname)
			rec_str_const(r, "option", oname);
		else
			rec_int(r, "option", ev->option);
	}
	/* Backtraces last: they are what gets cut when the record is full;
	 * the program's own language first, as what an operator fixes. */
	if (ev->foreign) {
		add_frames(r, "backtrace", ev->foreign->bt, ev->foreign->bt_n);
		add_frames(r, "first_backtrace", ev->foreign->first_bt, ev->foreign->first_bt_n);
		return;
	}
	if (ev->lang_n > 0)
		langtrace_add(r, "lang_backtrace", ev->lang, ev->lang_n);
	if (n > 0)
		backtrace_add(r, "backtrace", bt, n, !ev->in_handler);
	if (ev->first_bt_n > 0)
		backtrace_add(r, "first_backtrace", ev->first_bt, ev->first_bt_n,
			      !ev->in_handler);
}

/* A frame of the Go runtime's and standard library's way down to the
 * system call (a Go program's close is syscall.Syscall6 from
 * runtime/internal/syscall, under internal/poll, under net's or os's
 * Close): the same in every Go program's every close. */
static bool go_plumbing(const char *sym)
{
	static const char *const layers[] = {"runtime.", "runtime/internal/", "syscall.",
					     "internal/poll.", "internal/syscall/", "net.", "os."};

	for (size_t i = 0; sym && i < sizeof layers / sizeof layers[0]; i++)
		if (!strncmp(sym, layers[i], strlen(layers[i])))
			return true;
	return false;
}

uint64_t event_frames_site(const struct event_frame *f, int n)
{
	uint64_t parts[BT_SITE_FRAMES];
	int k = 0, from = 0;

	/* The site is the program's: past the Go plumbing that every Go
	 * close goes through (its first frames were the same for every close
	 * of a Go program, whose records then had one site for all, and the
	 * rate limiter held back one call site's records for another's; a
	 * helper's sweep, regress_supervise_go_sites), unless that is all */
	while (from < n && go_plumbing(f[from].symbol))
		from++;
	if (from == n)
		from = 0;
	f += from;
	n -= from;
	for (int i = 0; i < n && k < BT_SITE_FRAMES; i++, k++)
		parts[k] = f[i].module ? backtrace_site_part(f[i].module, f[i].offset)
				       : backtrace_site_part(NULL, f[i].ip);
	return backtrace_site_of_parts(parts, k);
}

SHIM_FORK_TEXT void event_call(const char *name, int fd, uint32_t st, bool addresses)
{
	if (event_wanted(&shim_cfg, EVENTS_ALL)) {
		struct event ev = EVENT_INIT(name, LOG_SEV_INFO);

		ev.fd = fd;
		ev.fd_state = st;
		ev.addresses = addresses;
		event_emit(&ev);
	}
}

/* The record of records lost since the last one written. */
__attribute__((noinline)) static void emit_dropped(struct call *c, long long dropped)
{
	struct event ev = EVENT_INIT(SHIM_EV_LOG_DROPPED, LOG_SEV_ERROR);
	struct record r;

	ev.dropped = dropped;
	ev.reason = "the log destination was full or unreachable, or the record was made too deep inside "
		    "nested signal handlers, or in a signal handler while the log file was being opened";
	event_build(&ev, NULL, 0, &r, call_rec(c), log_record_max());
	if (!log_write(call_rec(c), rec_end(&r), ev.severity))
		log_count_dropped(dropped); /* still full: lost again, counted again */
}

/* A record made outside any interposed call (at load, or by the
 * background thread): in a scope of its own. */
__attribute__((noinline)) static void emit_outside(struct event *ev)
{
	struct call own;

	call_enter(&own);
	event_emit(ev);
	call_leave(&own);
}

/* The record of the records of event at site that the rate limiter kept
 * back.  One that cannot be written gives its count back to the pair, to
 * go out with the pair's next one (a dropped record of a count of 10 was
 * one record lost to log_dropped, and 9 events to every total), or at the
 * end (final: nothing comes after it) counts them all as dropped; one that
 * is written is followed by the drops it comes after (log_dropped
 * followed only an ordinary record).  regress_rate_limit_drop_accounting. */
__attribute__((noinline)) static void emit_suppressed(struct call *c, const char *event,
						      uint64_t site, uint32_t count, bool final)
{
	struct event ev = EVENT_INIT(SHIM_EV_SUPPRESSED, LOG_SEV_ERROR);
	struct record r;
	long long dropped;

	ev.suppressed_event = event;
	ev.site = site;
	ev.has_site = true;
	ev.count = count;
	event_build(&ev, NULL, 0, &r, call_rec(c), log_record_max());
	if (!log_write(call_rec(c), rec_end(&r), ev.severity)) {
		if (final)
			log_count_dropped(count);
		else
			ratelimit_give_back(event, site, count);
	} else if ((dropped = log_take_dropped()) > 0) {
		emit_dropped(c, dropped);
	}
}

static bool rate_limited(const struct event *ev)
{
	return ev->severity == LOG_SEV_ERROR && !ev->unlimited && shim_cfg.rate_n > 0;
}

/* Whether the record may be written (the rate limiter), with its site set;
 * reports the site's suppressed count of the window that just ended. */
__attribute__((noinline)) static bool admit(struct call *c, struct event *ev, void *const *bt,
					    int n)
{
	struct timespec now;
	struct rate_flush flush;
	bool ok;

	if (ev->foreign) {
		ev->site = event_frames_site(ev->foreign->bt, ev->foreign->bt_n);
	} else {
		ev->site = n > 0 ? backtrace_site(bt, n, !ev->in_handler)
				 : backtrace_site(NULL, 0, false);
		/* An interpreter's native frames are the same for every line
		 * of the program: its own frames tell the sites apart. */
		if (ev->lang_n > 0)
			ev->site = langtrace_site(ev->site, ev->lang, ev->lang_n);
	}
	ev->has_site = true;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	ok = ratelimit_admit(ev->name, ev->site, (uint32_t)now.tv_sec, shim_cfg.rate_n,
			     shim_cfg.rate_window_s, &flush);
	if (flush.count)
		emit_suppressed(c, ev->name, flush.site, flush.count, false);
	return ok;
}

/* The frames of the program's language for a record whose backtrace is
 * the current call's own (so taken on the program's thread, and not on a
 * small signal stack: call_backtrace found none there); given back with
 * langtrace_release_frames(ev->lang) once the record is written. */
__attribute__((noinline)) static void lang_frames(struct event *ev, void *const *bt, int n)
{
	struct lang_capture *cap;

	if (!shim_cfg.lang_frames || call_in_trap())
		return;
	cap = langtrace_capture(shim_cfg.backtrace_depth, bt, n, !ev->in_handler);
	if (cap) {
		ev->lang = cap->frames;
		ev->lang_n = (uint8_t)cap->n;
	}
}

/* Of a record to be made in call c: its frames (*bt, *n; only those its
 * site is made of when it may be held back, *site_first) and the rate
 * limiter's answer: false if it is not to be written. */
static bool decide(struct call *c, struct event *ev, void *const **bt, int *n, bool *site_first)
{
	*bt = ev->given_bt;
	*n = ev->given_bt_n;
	*site_first = false;
	/* Of a record the rate limiter may hold back, first the frames its
	 * site is made of (the rest is unwound only for a record written: in
	 * a flood, most are not), unless a runtime's frames are to be looked
	 * for in them (they are part of the site) */
	if (!*bt && ev->backtrace && !ev->foreign) {
		*site_first = rate_limited(ev) && !langtrace_wants_native_frames();
		*n = *site_first ? call_backtrace_upto(c, BT_SITE_FRAMES, bt) : call_backtrace(c, bt);
	}
	ev->in_handler = call_in_handler();
	if (*n > 0 && !ev->given_bt && !ev->lang)
		lang_frames(ev, *bt, *n);
	if (*site_first && !ev->lang && langtrace_wants_native_frames()) {
		/* that very look-up found a runtime loaded late: its frames
		 * may lie below those few (regress_late_runtime_deep_close) */
		*site_first = false;
		*n = call_backtrace(c, bt);
		if (*n > 0)
			lang_frames(ev, *bt, *n);
	}
	if (!rate_limited(ev))
		return true;
	/* backtraces off: the frames of the site all the same (call.h) */
	if (!shim_cfg.backtrace && !*bt && ev->backtrace && !ev->foreign) {
		void *const *site_bt;
		int site_n = call_site_frames(c, &site_bt);

		return admit(c, ev, site_bt, site_n);
	}
	return admit(c, ev, *bt, *n);
}

/* Writes the record decide() admitted. */
static void write_decided(struct call *c, struct event *ev, void *const *bt, int n,
			  bool site_first)
{
	struct record r;
	long long dropped;

	if (site_first)
		n = call_backtrace(c, &bt);
	event_build(ev, bt, n, &r, call_rec(c), log_record_max());
	if (log_write(call_rec(c), rec_end(&r), ev->severity) && (dropped = log_take_dropped()) > 0)
		emit_dropped(c, dropped);
}

static void release_lang(struct event *ev)
{
	if (ev->lang) {
		langtrace_release_frames(ev->lang);
		ev->lang = NULL;
		ev->lang_n = 0;
	}
}

void event_emit(struct event *ev)
{
	struct call *c = call_current();
	void *const *bt;
	int n, saved = errno;
	bool site_first;

	if (!c) {
		emit_outside(ev);
		return;
	}
	if (!call_buffers(c))
		log_count_dropped(1);
	else if (decide(c, ev, &bt, &n, &site_first))
		write_decided(c, ev, bt, n, site_first);
	release_lang(ev);
	errno = saved;
}

bool event_hold(struct event *ev, struct event_addresses *addr)
{
	struct call *c = call_current();
	void *const *bt;
	int n, saved = errno;
	bool site_first;

	if (!c || !call_buffers(c)) {
		event_emit(ev);
		return false;
	}
	ev->admitted = decide(c, ev, &bt, &n, &site_first);
	if (ev->admitted && ev->fd >= 0) {
		/* (before the call ends the socket; looked up only for a
		 * record that is written) */
		event_lookup_addresses(ev->fd, addr);
		ev->given_addresses = addr;
	}
	errno = saved;
	return true;
}

void event_forget(struct event *ev)
{
	release_lang(ev);
}

void event_release(struct event *ev, bool happened)
{
	struct call *c = call_current();
	int saved = errno;

	if (happened && ev->admitted && c && call_buffers(c))
		write_decided(c, ev, NULL, 0, true); /* (its frames: the call's, taken again) */
	else if (!happened && ev->has_site)
		/* held back and counted, or admitted and in the window: it was
		 * not one */
		ratelimit_uncount(ev->name, ev->site, ev->admitted);
	release_lang(ev);
	errno = saved;
}

static void flush_one(const char *event, uint64_t site, uint32_t count, void *ctx)
{
	struct call *c = ctx;

	if (call_buffers(c))
		emit_suppressed(c, event, site, count, true);
	else
		log_count_dropped(count); /* (told by the log_dropped below, if it can be) */
}

SHIM_FORK_TEXT void event_flush_suppressed(bool counts)
{
	struct call c;
	long long dropped;

	call_enter(&c);
	if (counts)
		ratelimit_flush(flush_one, &c);
	if (call_buffers(&c) && (dropped = log_take_dropped()) > 0)
		emit_dropped(&c, dropped);
	call_leave(&c);
}
