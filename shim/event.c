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
#include "fdtab.h"
#include "proc.h"
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

/* Formats an address into out[size] as "127.0.0.1:8080", "[::1]:8080", a
 * unix path ("@name" for the abstract namespace, NULs kept); returns its
 * length, 0 for an unnamed or unknown address. */
static size_t format_address(const struct sockaddr_storage *ss, socklen_t len, char *out,
			     size_t size)
{
	char *p;
	unsigned port;

	if (ss->ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		if (!inet_ntop(AF_INET, &in->sin_addr, out, (socklen_t)size - 8))
			return 0;
		port = ntohs(in->sin_port);
		p = out + strlen(out);
	} else if (ss->ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		out[0] = '[';
		if (!inet_ntop(AF_INET6, &in6->sin6_addr, out + 1, (socklen_t)size - 9))
			return 0;
		p = out + strlen(out);
		*p++ = ']';
		port = ntohs(in6->sin6_port);
	} else if (ss->ss_family == AF_UNIX && len > offsetof(struct sockaddr_un, sun_path)) {
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
	{
		char digits[8], *d = digits + sizeof digits;

		do
			*--d = (char)('0' + port % 10);
		while (port /= 10);
		memcpy(p, d, (size_t)(digits + sizeof digits - d));
		p += digits + sizeof digits - d;
	}
	return (size_t)(p - out);
}

/* One of fd's addresses (peer or local) into out[size]; its length. */
static size_t lookup_address(int fd, bool peer, char *out, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int r = peer ? sys_getpeername(fd, (struct sockaddr *)&ss, &len)
		     : sys_getsockname(fd, (struct sockaddr *)&ss, &len);

	return r == 0 ? format_address(&ss, len, out, size) : 0;
}

void event_lookup_addresses(int fd, struct event_addresses *a)
{
	a->local[lookup_address(fd, false, a->local, sizeof a->local)] = '\0';
	a->peer[lookup_address(fd, true, a->peer, sizeof a->peer)] = '\0';
}

static void add_addresses(struct record *r, int fd)
{
	char text[120];
	size_t n;

	if ((n = lookup_address(fd, false, text, sizeof text)) > 0)
		rec_strn(r, "local", text, n);
	if ((n = lookup_address(fd, true, text, sizeof text)) > 0)
		rec_strn(r, "peer", text, n);
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

void event_build(const struct event *ev, void *const *bt, int n, struct record *r, char *buf,
		 size_t cap)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	rec_begin(r, buf, cap);
	rec_time(r, "ts", &now);
	rec_int(r, "pid", sys_getpid());
	rec_int(r, "tid", (long long)sys_raw6(SYS_gettid, 0, 0, 0, 0, 0, 0));
	rec_str(r, "prog", proc_prog);
	rec_str(r, "event", ev->name);
	if (ev->fd != EVENT_NO_FD) {
		const char *fam = family_name(fd_family(ev->fd_state));
		const char *type = type_name(fd_type(ev->fd_state));

		rec_int(r, "fd", ev->fd);
		if (ev->fd >= 0 && (ev->fd_state & FD_SOCKET)) {
			if (fam)
				rec_str(r, "family", fam);
			if (type)
				rec_str(r, "type", type);
			if (ev->given_addresses) {
				if (ev->given_addresses->local[0])
					rec_str(r, "local", ev->given_addresses->local);
				if (ev->given_addresses->peer[0])
					rec_str(r, "peer", ev->given_addresses->peer);
			} else if (ev->addresses) {
				add_addresses(r, ev->fd);
			}
		}
	}
	if (ev->err) {
		const char *name = strerrorname_np(ev->err);
		const char *text = strerrordesc_np(ev->err);

		if (name)
			rec_str(r, "errno", name);
		else
			rec_int(r, "errno", ev->err);
		if (text)
			rec_str(r, "error", text);
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
		rec_str(r, "mode", ev->mode);
	if (ev->dropped >= 0)
		rec_int(r, "dropped", ev->dropped);
	if (ev->variable)
		rec_str(r, "variable", ev->variable);
	if (ev->value)
		rec_str(r, "value", ev->value);
	if (ev->has_option) {
		const char *lname = level_name(ev->level);
		const char *oname = option_name(ev->level, ev->option);

		if (lname)
			rec_str(r, "level", lname);
		else
			rec_int(r, "level", ev->level);
		if (oname)
			rec_str(r, "option", oname);
		else
			rec_int(r, "option", ev->option);
	}
	/* Backtraces last: they are what gets cut when the record is full. */
	if (n > 0)
		backtrace_add(r, "backtrace", bt, n);
	if (ev->first_bt_n > 0)
		backtrace_add(r, "first_backtrace", ev->first_bt, ev->first_bt_n);
}

void event_call(const char *name, int fd, uint32_t st, bool addresses)
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
static void emit_dropped(struct call *c, long long dropped)
{
	struct event ev = EVENT_INIT(SHIM_EV_LOG_DROPPED, LOG_SEV_ERROR);
	struct record r;

	ev.dropped = dropped;
	ev.reason = "the log destination was full or the record was made too deep inside "
		    "nested signal handlers";
	event_build(&ev, NULL, 0, &r, c->rec, SHIM_RECORD_MAX);
	if (!log_write(c->rec, rec_end(&r), ev.severity))
		log_count_dropped(dropped); /* still full: lost again, counted again */
}

void event_emit(const struct event *ev)
{
	struct call own, *c = call_current();
	void *const *bt = ev->given_bt;
	int n = ev->given_bt_n;
	struct record r;
	int saved = errno;
	long long dropped;

	if (!c) { /* made outside an interposed call: at load, or by the background */
		call_enter(&own);
		c = &own;
	}
	if (!c->rec) {
		log_count_dropped(1);
		goto out;
	}
	if (!bt && ev->backtrace)
		n = call_backtrace(c, &bt);
	event_build(ev, bt, n, &r, c->rec, SHIM_RECORD_MAX);
	if (log_write(c->rec, rec_end(&r), ev->severity) && (dropped = log_take_dropped()) > 0)
		emit_dropped(c, dropped);
out:
	if (c == &own)
		call_leave(&own);
	errno = saved;
}
