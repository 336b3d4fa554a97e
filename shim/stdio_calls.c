/* Entry points fclose, freopen, freopen64 (and fcloseall): a stream whose
 * descriptor is a socket ends that socket, and glibc closes the descriptor
 * inside the stream's code (_IO_file_close_it) with an inline system call
 * that no close() wrapper sees.  A legacy server that answers through
 * fdopen(sock, "r+") ... fclose() is as exposed to the seed's reset as one
 * that calls close().
 *
 * So the stream's close goes through the close path (close_path.h) with
 * the real fclose as its real close: the same checks, events and graceful
 * close as close(), the stream flushed first (the answer must be in the
 * socket before graceful close shuts its sending side), the lingering done
 * on the shim's own copy across the real fclose. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>

#include "close_path.h"
#include "config.h"
#include "export.h"
#include "fdtab.h"
#include "libc.h"
#include "shim.h"

/* The stream's descriptor, -1 for a stream without one (fmemopen,
 * fopencookie); errno kept. */
static int stream_fd(FILE *fp)
{
	int saved = errno, fd = fileno(fp);

	errno = saved;
	return fd;
}

/* Writes out what the stream holds, before the socket's sending side is
 * shut down.  A failure is the real fclose's to report (it flushes again,
 * and fails the same way).  Only where the close path does something
 * before the real close (sockets_watched): otherwise nothing is shut down,
 * and at closes_untracked the table may still say "socket" of a number
 * closed and opened again as a file, whose input stream a flush would
 * seek back (glibc's fclose does not). */
static void flush_first(FILE *fp, int fd)
{
	uint32_t st;
	int saved;

	if (!shim_cfg.sockets_watched)
		return;
	st = fdtab_get(fd);
	saved = errno;
	if ((st & FD_SOCKET) && !(st & (FD_CLOSED | FD_PRIVATE)))
		fflush(fp);
	errno = saved;
}

static int stream_close(int fd, void *fp)
{
	(void)fd;
	return libc_fclose(fp) == 0 ? 0 : -1;
}

SHIM_EXPORT int fclose(FILE *fp)
{
	struct close_how how = {stream_close, fp, false, true};
	int fd;

	if (shim_passthrough() || !fp || (fd = stream_fd(fp)) < 0)
		return libc_fclose(fp);
	if (__builtin_expect(fdtab_get(fd) & FD_PRIVATE, 0)) {
		/* A stream on a number the program never opened: it holds
		 * one of the shim's.  The stream goes, the descriptor stays
		 * the shim's; EBADF, as the close of that number would say. */
		fp->_fileno = -1;
		libc_fclose(fp);
		errno = EBADF;
		return EOF;
	}
	flush_first(fp, fd);
	return close_path_end(fd, &how) == 0 ? 0 : EOF;
}

/* glibc's fcloseall() flushes every stream and closes none of their
 * descriptors (it is _IO_cleanup: checked on Debian 12's glibc 2.36, the
 * descriptor of a stream on a socket stays open): nothing ends there for
 * the shim to see.  Interposed so that the contract's name is there, and a
 * libc that does close them would be the place to look. */
SHIM_EXPORT int fcloseall(void)
{
	return libc_fcloseall();
}

/* freopen closes the stream's descriptor and opens another file in its
 * place (glibc keeps the stream's number): a socket there ends as at its
 * close. */
static FILE *reopen(FILE *(*real)(const char *, const char *, FILE *), const char *path,
		    const char *mode, FILE *fp)
{
	FILE *ret;
	uint32_t st;
	int fd, nfd, saved;

	if (shim_passthrough() || !fp || (fd = stream_fd(fp)) < 0 ||
	    ((st = fdtab_get(fd)) & FD_PRIVATE))
		return real(path, mode, fp);
	flush_first(fp, fd);
	close_path_before_takeover(fd);
	ret = real(path, mode, fp);
	if (st) {
		/* The number the shim knew is closed; it may hold the new
		 * file now, which the shim knows nothing of. */
		nfd = ret ? stream_fd(ret) : -1;
		saved = errno;
		fdtab_set(fd, nfd == fd ? 0 : FD_CLOSED);
		errno = saved;
	}
	return ret;
}

SHIM_EXPORT FILE *freopen(const char *path, const char *mode, FILE *fp)
{
	return reopen(libc_freopen, path, mode, fp);
}

SHIM_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *fp)
{
	return reopen(libc_freopen64, path, mode, fp);
}
