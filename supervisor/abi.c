/* Which call a notification is, whatever the calling program's ABI.
 *
 * The filter traps the same calls for 64-bit programs and for 32-bit x86
 * ones (a static i386 binary, or one a 64-bit program execs): each ABI has
 * its own numbers, and a 32-bit program built against an old libc reaches
 * the socket calls through socketcall(2), whose arguments are an array in
 * its memory.  Everything after this file sees one call and six
 * arguments. */
#define _GNU_SOURCE
#include "supervisor.h"

#include <linux/audit.h>
#include <linux/net.h>
#include <seccomp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* The i386 numbers (arch/x86/entry/syscalls/syscall_32.tbl): fixed by the
 * ABI for good, and not in the headers of a 64-bit build.  A unit test
 * checks them against libseccomp's table. */
static const struct {
	int nr;
	enum sv_call call;
} i386_calls[] = {
	{6, SV_CALL_CLOSE},	     {361, SV_CALL_BIND},	  {366, SV_CALL_SETSOCKOPT},
	{373, SV_CALL_SHUTDOWN},     {41, SV_CALL_DUP},		  {55, SV_CALL_FCNTL},
	{221, SV_CALL_FCNTL},	     {63, SV_CALL_DUP2},	  {330, SV_CALL_DUP2},
	{2, SV_CALL_FORK},	     {190, SV_CALL_FORK},	  {120, SV_CALL_CLONE},
	{435, SV_CALL_CLONE3},	     {11, SV_CALL_EXEC},	  {358, SV_CALL_EXEC},
	{252, SV_CALL_EXIT_GROUP},   {436, SV_CALL_CLOSE_RANGE}, {370, SV_CALL_SENDMSG},
	{254, SV_CALL_EPOLL_CREATE}, {329, SV_CALL_EPOLL_CREATE},
};

#define I386_SOCKETCALL 102

static enum sv_call native_call(int nr)
{
	switch (nr) {
	case SCMP_SYS(close):
		return SV_CALL_CLOSE;
	case SCMP_SYS(bind):
		return SV_CALL_BIND;
	case SCMP_SYS(setsockopt):
		return SV_CALL_SETSOCKOPT;
	case SCMP_SYS(shutdown):
		return SV_CALL_SHUTDOWN;
	case SCMP_SYS(dup):
		return SV_CALL_DUP;
	case SCMP_SYS(fcntl):
		return SV_CALL_FCNTL;
	case SCMP_SYS(dup2):
	case SCMP_SYS(dup3):
		return SV_CALL_DUP2;
	case SCMP_SYS(fork):
	case SCMP_SYS(vfork):
		return SV_CALL_FORK;
	case SCMP_SYS(clone):
		return SV_CALL_CLONE;
	case SCMP_SYS(clone3):
		return SV_CALL_CLONE3;
	case SCMP_SYS(execve):
	case SCMP_SYS(execveat):
		return SV_CALL_EXEC;
	case SCMP_SYS(exit_group):
		return SV_CALL_EXIT_GROUP;
	case SCMP_SYS(close_range):
		return SV_CALL_CLOSE_RANGE;
	case SCMP_SYS(sendmsg):
		return SV_CALL_SENDMSG;
	case SCMP_SYS(epoll_create):
	case SCMP_SYS(epoll_create1):
		return SV_CALL_EPOLL_CREATE;
	default:
		return SV_CALL_OTHER;
	}
}

enum sv_call sv_abi_i386_call(int nr)
{
	for (size_t i = 0; i < sizeof i386_calls / sizeof i386_calls[0]; i++)
		if (i386_calls[i].nr == nr)
			return i386_calls[i].call;
	return SV_CALL_OTHER;
}

/* socketcall(call, args): the calls the filter traps through it, with
 * how many 32-bit arguments each has in the array at args. */
static enum sv_call socketcall_call(uint64_t call, int *nargs)
{
	switch (call) {
	case SYS_BIND:
		*nargs = 3;
		return SV_CALL_BIND;
	case SYS_SHUTDOWN:
		*nargs = 2;
		return SV_CALL_SHUTDOWN;
	case SYS_SETSOCKOPT:
		*nargs = 5;
		return SV_CALL_SETSOCKOPT;
	case SYS_SENDMSG:
		*nargs = 3;
		return SV_CALL_SENDMSG;
	default:
		return SV_CALL_OTHER;
	}
}

enum sv_call sv_abi_decode(pid_t pid, const struct seccomp_notif *req, struct sv_args *a)
{
	enum sv_call call;
	uint32_t packed[6];
	int nargs = 0;

	memcpy(a->v, req->data.args, sizeof a->v);
	a->compat = req->data.arch == AUDIT_ARCH_I386;
	if (!a->compat)
		return req->data.arch == AUDIT_ARCH_X86_64 ? native_call(req->data.nr)
							   : SV_CALL_OTHER;
	for (int i = 0; i < 6; i++) /* (a 32-bit register each) */
		a->v[i] &= 0xffffffffu;
	if (req->data.nr != I386_SOCKETCALL)
		return sv_abi_i386_call(req->data.nr);
	call = socketcall_call(a->v[0], &nargs);
	if (call != SV_CALL_OTHER) {
		struct iovec local = {packed, nargs * sizeof packed[0]};
		struct iovec remote = {(void *)(uintptr_t)a->v[1], nargs * sizeof packed[0]};

		/* (unreadable: the kernel's own read will fail the call with
		 * EFAULT; it is let run as it is) */
		if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)local.iov_len)
			return SV_CALL_OTHER;
		memset(a->v, 0, sizeof a->v);
		for (int i = 0; i < nargs; i++)
			a->v[i] = packed[i];
	}
	return call;
}

/* struct compat_msghdr: name, namelen, iov, iovlen, control, controllen,
 * flags, each 32-bit */
size_t sv_abi_msghdr_size(bool compat)
{
	return compat ? 7 * 4 : sizeof(struct msghdr);
}

bool sv_abi_msghdr_control(const void *hdr, bool compat, uint64_t *control, uint64_t *len)
{
	if (compat) {
		uint32_t m32[7];

		memcpy(m32, hdr, sizeof m32);
		*control = m32[4];
		*len = m32[5];
	} else {
		struct msghdr m;

		memcpy(&m, hdr, sizeof m);
		*control = (uint64_t)(uintptr_t)m.msg_control;
		*len = m.msg_controllen;
	}
	return *control != 0 && *len >= (compat ? 12 : sizeof(struct cmsghdr));
}

/* A 64-bit program's struct cmsghdr has a size_t length and 8-byte
 * alignment; a 32-bit one's is all 32-bit, 4-byte aligned. */
int sv_abi_rights(const unsigned char *control, size_t len, bool compat, int *fds, int max)
{
	size_t hdr = compat ? 12 : sizeof(struct cmsghdr), align = compat ? 4 : sizeof(size_t);
	size_t off = 0;
	int n = 0;

	while (off + hdr <= len && n < max) {
		uint64_t clen;
		int level, type;

		if (compat) {
			uint32_t l32;

			memcpy(&l32, control + off, 4);
			clen = l32;
			memcpy(&level, control + off + 4, 4);
			memcpy(&type, control + off + 8, 4);
		} else {
			struct cmsghdr h;

			memcpy(&h, control + off, sizeof h);
			clen = h.cmsg_len;
			level = h.cmsg_level;
			type = h.cmsg_type;
		}
		if (clen < hdr || clen > len - off)
			break;
		if (level == SOL_SOCKET && type == SCM_RIGHTS)
			for (size_t i = hdr; i + sizeof(int) <= clen && n < max; i += sizeof(int))
				memcpy(&fds[n++], control + off + i, sizeof(int));
		off += (clen + align - 1) & ~(align - 1);
	}
	return n;
}

