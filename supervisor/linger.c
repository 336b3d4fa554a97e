/* Graceful close from outside: the program's close ran on its number at
 * once; the supervisor's copy of the socket keeps the connection, sends
 * FIN (shutdown SHUT_WR: queued data first) and reads and discards what
 * the peer still sends until its end of stream or SOCKSHIM_LINGER_MS, in
 * the supervisor's event loop.  No thread, memory or descriptor of the
 * shim's is inside the program. */
#define _GNU_SOURCE
#include "supervisor.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fdtab.h"
#include "linger.h"
#include "sockshim.h"

#define DISCARD_CHUNK (1 << 20)

struct lingering {
	int copy; /* -1: free slot */
	int fd;	  /* the program's number, for the record */
	uint32_t fd_state;
	bool replaced;
	bool watched; /* in the supervisor's epoll set */
	long long drained;
	int64_t last_data_ms; /* when the peer's bytes last came (0: never) */
	int64_t start_ms, deadline_ms;
	struct event_addresses addr;
	struct sv_who who; /* who closed it, for the record */
};

static int ep = -1;
static struct lingering **slots;
static int n_slots, n_used;

void sv_linger_init(int epfd)
{
	ep = epfd;
}

/* (a timeout is graceful_timeout only with the peer still sending, as the
 * library's: linger.h) */
static void finish(int i, bool timed_out)
{
	struct lingering *l = slots[i];
	bool sending = timed_out &&
		       linger_peer_sending(l->start_ms, l->last_data_ms, shim_cfg.linger_ms);
	struct event ev = EVENT_INIT(sending ? SHIM_EV_GRACEFUL_TIMEOUT : SHIM_EV_GRACEFUL_CLOSE,
				     sending ? LOG_SEV_ERROR : LOG_SEV_INFO);
	struct event_foreign who;
	struct linger off = {0, 0};

	if (event_wanted(&shim_cfg, sending ? EVENTS_ERRORS : EVENTS_ALL)) {
		if (timed_out && !l->addr.local[0])
			event_lookup_addresses(l->copy, &l->addr);
		ev.fd = l->fd;
		ev.fd_state = l->fd_state;
		ev.given_addresses = &l->addr;
		ev.drained = l->drained;
		ev.ms = sv_now_ms() - l->start_ms;
		ev.mode = "supervised";
		if (l->replaced)
			ev.reason = "replaced the program's SO_LINGER {1, 0}";
		else if (timed_out && !sending)
			ev.reason = "the peer stayed open and silent";
		ev.backtrace = false;
		ev.foreign = sv_who_foreign(&l->who, &who);
		event_emit(&ev);
	}
	/* A program's SO_LINGER {1, N} would make this close block the
	 * supervisor for N seconds: the data is the kernel's to send now. */
	setsockopt(l->copy, SOL_SOCKET, SO_LINGER, &off, sizeof off);
	if (l->watched) /* (a lingering over at once was never added) */
		epoll_ctl(ep, EPOLL_CTL_DEL, l->copy, NULL);
	l->watched = false;
	close(l->copy);
	l->copy = -1;
	sv_who_drop(&l->who);
	n_used--;
}

/* Reads and discards what is there; true when the lingering is over (EOF,
 * a reset, not connected). */
static bool discard(struct lingering *l)
{
	for (int k = 0; k < 64; k++) { /* a fast peer must not starve the others */
		ssize_t n = recv(l->copy, NULL, DISCARD_CHUNK, MSG_TRUNC | MSG_DONTWAIT);

		if (n > 0) {
			l->drained += n;
			l->last_data_ms = sv_now_ms();
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return false;
		return true;
	}
	return false;
}

static int free_slot(void)
{
	int old = n_slots, n = n_slots ? n_slots * 2 : 64;
	struct lingering **s;

	for (int i = 0; i < n_slots; i++)
		if (slots[i]->copy < 0)
			return i;
	s = realloc(slots, (size_t)n * sizeof *s);
	if (!s)
		return -1;
	slots = s;
	for (int i = old; i < n; i++) {
		slots[i] = calloc(1, sizeof **slots);
		if (!slots[i])
			break;
		slots[i]->copy = -1;
		n_slots = i + 1;
	}
	return n_slots > old ? old : -1;
}

const char *sv_linger_take(int copy, int fd, uint32_t fd_state, const struct event_foreign *who,
			   bool replaced)
{
	int i = free_slot();
	struct lingering *l;
	struct epoll_event e;

	if (i < 0)
		return "no memory left in the supervisor";
	l = slots[i];
	l->fd = fd;
	l->fd_state = fd_state;
	l->replaced = replaced;
	l->watched = false;
	l->drained = 0;
	l->last_data_ms = 0;
	l->start_ms = sv_now_ms();
	l->deadline_ms = l->start_ms + shim_cfg.linger_ms;
	/* after the peer's FIN the kernel no longer tells the peer: now */
	l->addr.local[0] = l->addr.peer[0] = '\0';
	if (event_wanted(&shim_cfg, EVENTS_ALL))
		event_lookup_addresses(copy, &l->addr);
	sv_who_keep(&l->who, who);
	l->copy = copy;
	n_used++;
	if (shutdown(copy, SHUT_WR) != 0 || discard(l)) {
		finish(i, false);
		return NULL;
	}
	/* A lingering that has to wait keeps its copy: not past the reserve
	 * line of the supervisor's table (fds.c); the caller closes it */
	if (!sv_fds_room(copy)) {
		l->copy = -1;
		sv_who_drop(&l->who);
		n_used--;
		return "no descriptor left in the supervisor";
	}
	e.events = EPOLLIN | EPOLLRDHUP;
	e.data.u64 = (uint64_t)SV_TAG_LINGER << 32 | (uint32_t)i;
	l->watched = epoll_ctl(ep, EPOLL_CTL_ADD, copy, &e) == 0;
	if (!l->watched)
		finish(i, false);
	return NULL;
}

void sv_linger_event(uint32_t i)
{
	if ((int)i < n_slots && slots[i]->copy >= 0 && discard(slots[i]))
		finish((int)i, false);
}

int sv_linger_timeout_ms(void)
{
	int64_t next = -1, now;

	if (!n_used)
		return -1;
	for (int i = 0; i < n_slots; i++)
		if (slots[i]->copy >= 0 && (next < 0 || slots[i]->deadline_ms < next))
			next = slots[i]->deadline_ms;
	now = sv_now_ms();
	return next <= now ? 0 : (int)(next - now + 1);
}

void sv_linger_expire(void)
{
	int64_t now = sv_now_ms();

	for (int i = 0; i < n_slots && n_used; i++)
		if (slots[i]->copy >= 0 && slots[i]->deadline_ms <= now) {
			if (discard(slots[i]))
				finish(i, false);
			else
				finish(i, true);
		}
}

/* At exit the lingerings wait in an epoll set of their own: the loop's
 * holds more (its timerfd, armed for a lingering's deadline, the kick
 * eventfd, the signalfd), and one of those readable, never read here, made
 * every wait return at once, a busy loop till the last lingering's end
 * (regress_supervise_linger_finish_idle).  Without a set of their own (no
 * descriptor left) they wait in the loop's, as before. */
void sv_linger_finish(void)
{
	int loop = ep, own = n_used ? epoll_create1(EPOLL_CLOEXEC) : -1;

	if (own >= 0) {
		for (int i = 0; i < n_slots; i++) {
			struct lingering *l = slots[i];
			struct epoll_event e = {.events = EPOLLIN | EPOLLRDHUP,
						.data.u64 = (uint64_t)SV_TAG_LINGER << 32 | (uint32_t)i};

			if (l->copy < 0 || !l->watched)
				continue;
			epoll_ctl(loop, EPOLL_CTL_DEL, l->copy, NULL);
			/* (not watched: it ends at its deadline) */
			l->watched = epoll_ctl(own, EPOLL_CTL_ADD, l->copy, &e) == 0;
		}
		ep = own;
	}
	while (n_used) {
		int t = sv_linger_timeout_ms();
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, t);

		for (int k = 0; k < n; k++)
			if (evs[k].data.u64 >> 32 == SV_TAG_LINGER)
				sv_linger_event((uint32_t)evs[k].data.u64);
		sv_linger_expire();
	}
	if (own >= 0) {
		ep = loop;
		close(own);
	}
}
