/* Programs that sockshim cannot run as they run bare: file capabilities.
 *
 * A program given capabilities with setcap (security.capability, e.g.
 * cap_net_bind_service+ep) and run by a user other than root is run by the
 * dynamic loader in secure-execution mode, which ignores LD_PRELOAD: the
 * library would never load.  Under the supervisor's filter, which such a
 * user gets only with no_new_privs, the kernel does not grant the file's
 * capabilities: the program would fail (bind: Permission denied) where bare
 * it works.  Both refuse it, as they refuse a setuid/setgid program; the
 * launcher asks here (sockshim-supervise --file-caps), a minimal Debian
 * has no getcap or getfattr. */
#define _GNU_SOURCE
#include "supervisor.h"

#include <endian.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/xattr.h>

bool sv_file_caps(const char *path)
{
	struct vfs_ns_cap_data caps;
	ssize_t n;
	unsigned words;

	memset(&caps, 0, sizeof caps);
	n = getxattr(path, "security.capability", &caps, sizeof caps);
	if (n < (ssize_t)XATTR_CAPS_SZ_1)
		return false; /* none (ENODATA), or not to be read: as bare */
	switch (le32toh(caps.magic_etc) & VFS_CAP_REVISION_MASK) {
	case VFS_CAP_REVISION_1: words = VFS_CAP_U32_1; break;
	case VFS_CAP_REVISION_2: words = VFS_CAP_U32_2; break;
	case VFS_CAP_REVISION_3: words = VFS_CAP_U32_3; break;
	default: return true; /* a revision not known here: the kernel's to grant */
	}
	/* (setcap -r removes the attribute; "=" writes one that grants none) */
	for (unsigned i = 0; i < words; i++)
		if (caps.data[i].permitted || caps.data[i].inheritable)
			return true;
	return false;
}
