/* Whether a TCP socket outlived a close: for a socket the shim knows other
 * holders of (shared by fork, dup, SCM_RIGHTS, or inherited), only the
 * kernel can tell whether a close was the last reference, the one that
 * makes tcp_close() run (and reset, with data unread).  Asked after the
 * close, through sock_diag, by the socket's addresses and its cookie
 * (never reused while the system runs): a socket still there was held
 * elsewhere.  Only on the rare path where the close would reset if it
 * were the last one: each question costs a netlink socket and a round
 * trip. */
#ifndef SHIM_LASTREF_H
#define SHIM_LASTREF_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* A TCP socket's address as the kernel gives it. */
union lastref_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* What identifies a TCP socket to sock_diag: its addresses (as
 * getsockname and getpeername gave them, len bytes each; also what its
 * record says) and its cookie. */
struct lastref_id {
	union lastref_addr local, peer;
	socklen_t len;
	uint64_t cookie;
};

/* Fills *id for the connected TCP socket fd (before its close); false if
 * it cannot be had (not connected, not inet, no SO_COOKIE). */
bool lastref_identify(int fd, struct lastref_id *id);

/* A child in a network namespace of its own (clone(CLONE_NEWNET)): the
 * sockets it inherited are in another, where its questions to the kernel
 * do not reach, and a socket not found there is not a socket gone (false
 * close_rst records: regress_clone_child_netns); it asks no more. */
void lastref_net_elsewhere(void);

/* After the close: 1 if the socket is still there (another holder keeps
 * it), 0 if it is gone, -1 if the kernel could not be asked (errno kept;
 * also in a network namespace not the sockets'). */
int lastref_alive(const struct lastref_id *id);

/* Which holder reports a socket's end.  Holders that close at the same
 * moment (a forking server's parent and child) each find the socket gone
 * when they ask after both closes, and each would count the one reset.
 * The first to claim the socket's cookie in memory shared by the fork
 * tree reports it (its close was one of the last ones at once).
 * lastref_init: at load, before any fork; lastref_claim: true if this
 * holder is the first (or nothing is shared: each reports, as before). */
void lastref_init(void);
bool lastref_claim(uint64_t cookie);

/* Gone, but not by this close.  A holder whose close would reset were it
 * the last counts the unread bytes one last time, closes, and asks; if
 * meanwhile another holder read them and then closed, last and clean, the
 * socket is gone when the first asks (at once if the peer had shut down
 * its side: a forking server whose child reads a half-closed client's
 * request right after the fork, and the parent wrote a close_rst for no
 * reset).  So the first puts its question in the fork tree's shared memory
 * before that last count (lastref_ask: a slot, or -1 if none is free or
 * nothing is shared); a holder that closes with nothing unread answers
 * there, for its socket, before its close (lastref_closing_clean: a load
 * when no question is open, one SO_COOKIE when one names its number); and
 * the first reads the answer after its question (lastref_answered_clean)
 * and takes it back (lastref_retire, also when it never asked the kernel).
 * Within the fork tree the shared memory reaches; errno kept. */
int lastref_ask(int fd, uint64_t cookie);
/* An answer that came before the asker's last count found bytes unread
 * is not one: they were there after it (bytes that arrived since). */
void lastref_reopen(int question);
void lastref_closing_clean(int fd);
bool lastref_answered_clean(int question);
void lastref_retire(int question);

#endif
