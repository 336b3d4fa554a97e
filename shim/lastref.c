/* Whether a TCP socket outlived a close (see lastref.h). */
#define _GNU_SOURCE
#include "lastref.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/mman.h>

#include "coldmem.h"
#include "sys.h"

/* Claimed cookies, in memory the fork tree shares: an open-addressed
 * table whose slots go from 0 to a cookie by compare-and-swap.  Cookies
 * are never reused while the system runs; in a full neighbourhood the
 * claim takes the cookie's home slot (the socket there is most likely long
 * done; if not, its holders may both report it, as without the table). */
#define CLAIM_SLOTS 4096
#define CLAIM_PROBES 4

/* The open questions of lastref_ask, in the same shared memory: a slot
 * goes from FREE to BUSY (its asker filling it) to OPEN, maybe to CLEAN
 * (answered by another holder), and back to FREE by its asker.  The state
 * word carries the slot's generation above its two bits of kind, moved on
 * at each retire: an answer meant for a question whose slot was taken back
 * and asked again in between fails its compare-and-swap. */
#define QUESTION_SLOTS 16
enum { Q_FREE, Q_BUSY, Q_OPEN, Q_CLEAN };
#define Q_KIND(w) ((w) & 3u)
#define Q_AS(w, kind) (((w) & ~3u) | (kind))
struct question {
	uint64_t cookie;
	int fd;
	uint32_t state;
};

struct shared {
	uint64_t claims[CLAIM_SLOTS];
	struct question questions[QUESTION_SLOTS];
	int open; /* questions asked and not yet taken back */
};
static struct shared *shared;
static uint64_t *claims;

void lastref_init(void)
{
	void *m;

	if (shared)
		return;
	m = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		 0);
	if (m != MAP_FAILED) {
		shared = m;
		claims = shared->claims;
	}
}

int lastref_ask(int fd, uint64_t cookie)
{
	if (!shared || cookie == 0)
		return -1;
	for (int i = 0; i < QUESTION_SLOTS; i++) {
		struct question *q = &shared->questions[i];
		uint32_t w = __atomic_load_n(&q->state, __ATOMIC_RELAXED);

		if (Q_KIND(w) != Q_FREE ||
		    !__atomic_compare_exchange_n(&q->state, &w, Q_AS(w, Q_BUSY), false,
						 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			continue;
		__atomic_store_n(&q->cookie, cookie, __ATOMIC_RELAXED);
		__atomic_store_n(&q->fd, fd, __ATOMIC_RELAXED);
		/* counted before it is open: a holder that sees none counted
		 * sees no question (and one that looks after this close's
		 * count of the unread bytes sees both) */
		__atomic_add_fetch(&shared->open, 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&q->state, Q_AS(w, Q_OPEN), __ATOMIC_SEQ_CST);
		return i;
	}
	return -1; /* as many closes at once as slots: asked as before */
}

SHIM_FORK_TEXT void lastref_closing_clean(int fd)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof cookie;
	int saved;

	if (!shared || __atomic_load_n(&shared->open, __ATOMIC_SEQ_CST) == 0)
		return; /* (the common case: no other holder is asking) */
	saved = errno;
	for (int i = 0; i < QUESTION_SLOTS; i++) {
		struct question *q = &shared->questions[i];
		uint32_t w = __atomic_load_n(&q->state, __ATOMIC_SEQ_CST);

		if (Q_KIND(w) != Q_OPEN || __atomic_load_n(&q->fd, __ATOMIC_RELAXED) != fd)
			continue;
		/* the same number in another process of the tree: the same
		 * socket only if the cookie is (one look at this one's) */
		if (cookie == 0 &&
		    (sys_getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) != 0 || cookie == 0))
			break;
		/* (the fd and cookie read belong to generation w only if the
		 * state is still w: the swap says) */
		if (__atomic_load_n(&q->cookie, __ATOMIC_RELAXED) == cookie)
			__atomic_compare_exchange_n(&q->state, &w, Q_AS(w, Q_CLEAN), false,
						    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
	}
	errno = saved;
}

void lastref_reopen(int q)
{
	uint32_t w;

	if (!shared || q < 0 || q >= QUESTION_SLOTS)
		return;
	w = __atomic_load_n(&shared->questions[q].state, __ATOMIC_SEQ_CST);
	if (Q_KIND(w) == Q_CLEAN)
		__atomic_compare_exchange_n(&shared->questions[q].state, &w, Q_AS(w, Q_OPEN), false,
					    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

bool lastref_answered_clean(int q)
{
	return shared && q >= 0 && q < QUESTION_SLOTS &&
	       Q_KIND(__atomic_load_n(&shared->questions[q].state, __ATOMIC_SEQ_CST)) == Q_CLEAN;
}

void lastref_retire(int q)
{
	uint32_t w;

	if (!shared || q < 0 || q >= QUESTION_SLOTS)
		return;
	w = __atomic_load_n(&shared->questions[q].state, __ATOMIC_SEQ_CST);
	/* the next generation, free (only the asker moves it off OPEN or
	 * CLEAN this way) */
	__atomic_store_n(&shared->questions[q].state, Q_AS(w + 4, Q_FREE), __ATOMIC_SEQ_CST);
	__atomic_sub_fetch(&shared->open, 1, __ATOMIC_SEQ_CST);
}

bool lastref_claim(uint64_t cookie)
{
	unsigned h = (unsigned)((cookie * 0x9e3779b97f4a7c15ULL) >> 40) % CLAIM_SLOTS;

	if (!claims || cookie == 0)
		return true;
	for (unsigned k = 0; k < CLAIM_PROBES; k++) {
		uint64_t *slot = &claims[(h + k) % CLAIM_SLOTS];
		uint64_t seen = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

		if (seen == 0 &&
		    __atomic_compare_exchange_n(slot, &seen, cookie, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return true;
		if (seen == cookie)
			return false; /* another holder's */
	}
	__atomic_store_n(&claims[h], cookie, __ATOMIC_RELEASE);
	return true;
}

bool lastref_identify(int fd, struct lastref_id *id)
{
	socklen_t llen = sizeof id->local, plen = sizeof id->peer, clen = sizeof id->cookie;

	memset(id, 0, sizeof *id);
	if (sys_getsockname(fd, &id->local.sa, &llen) != 0 ||
	    sys_getpeername(fd, &id->peer.sa, &plen) != 0 ||
	    sys_getsockopt(fd, SOL_SOCKET, SO_COOKIE, &id->cookie, &clen) != 0 ||
	    id->local.sa.sa_family != id->peer.sa.sa_family || llen != plen)
		return false;
	id->len = llen;
	return (id->local.sa.sa_family == AF_INET && llen == sizeof id->local.in) ||
	       (id->local.sa.sa_family == AF_INET6 && llen == sizeof id->local.in6);
}

static bool net_elsewhere;

void lastref_net_elsewhere(void)
{
	net_elsewhere = true;
}

int lastref_alive(const struct lastref_id *id)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	/* the answer: an inet_diag_msg (alive), or an error (gone) */
	union {
		struct nlmsghdr nlh;
		char bytes[64]; /* the header and an error: all that is read (a
				   longer answer is cut, which is fine) */
	} ans;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	int saved = errno, nl, ret = -1;
	ssize_t n;

	if (net_elsewhere)
		return -1;
	memset(&req, 0, sizeof req);
	req.nlh.nlmsg_len = sizeof req;
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.r.sdiag_family = (uint8_t)id->local.sa.sa_family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = ~0u;
	if (id->local.sa.sa_family == AF_INET6) {
		req.r.id.idiag_sport = id->local.in6.sin6_port;
		req.r.id.idiag_dport = id->peer.in6.sin6_port;
		memcpy(req.r.id.idiag_src, &id->local.in6.sin6_addr, 16);
		memcpy(req.r.id.idiag_dst, &id->peer.in6.sin6_addr, 16);
	} else {
		req.r.id.idiag_sport = id->local.in.sin_port;
		req.r.id.idiag_dport = id->peer.in.sin_port;
		req.r.id.idiag_src[0] = id->local.in.sin_addr.s_addr;
		req.r.id.idiag_dst[0] = id->peer.in.sin_addr.s_addr;
	}
	req.r.id.idiag_cookie[0] = (uint32_t)id->cookie;
	req.r.id.idiag_cookie[1] = (uint32_t)(id->cookie >> 32);
	/* A moment at the lowest free number (the program's threads may see
	 * the next number taken meanwhile); never a number the program holds. */
	nl = sys_socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		goto out;
	if (SYS6(SYS_sendto, nl, &req, sizeof req, 0, &kernel, sizeof kernel) == (long)sizeof req) {
		struct pollfd p = {.fd = nl, .events = POLLIN};

		/* the kernel answers within the sendto (inet_diag's exact
		 * look-up); a wait, bounded, only if it did not */
		n = sys_recv(nl, &ans, sizeof ans, MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN && sys_poll(&p, 1, 1000) == 1)
			n = sys_recv(nl, &ans, sizeof ans, MSG_DONTWAIT);
		if (n >= (ssize_t)sizeof ans.nlh) {
			if (ans.nlh.nlmsg_type == SOCK_DIAG_BY_FAMILY) {
				ret = 1;
			} else if (ans.nlh.nlmsg_type == NLMSG_ERROR &&
				   n >= (ssize_t)(NLMSG_HDRLEN + sizeof(int))) {
				int err;

				memcpy(&err, NLMSG_DATA(&ans.nlh), sizeof err);
				/* ENOENT: no socket of those addresses; ESTALE:
				 * one, but another (a listener matched them) */
				if (err == -ENOENT || err == -ESTALE)
					ret = 0;
			}
		}
	}
	sys_close(nl);
out:
	errno = saved;
	return ret;
}
