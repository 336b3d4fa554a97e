/* Go main programs: the build-ID note, and symbols through libelf.
 *
 * libelf is loaded with dlopen(RTLD_LOCAL), and only in raw mode: most
 * processes never need it, and it must not add symbols to the program's
 * scope. */
#define _GNU_SOURCE
#include "gobinary.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <gelf.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#include "libc.h"
#include "sys.h"

#define GO_NOTE_BUILDID 4

struct main_image {
	uintptr_t bias;
	bool go;
};

static int inspect_main(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct main_image *m = ctx;

	(void)size;
	m->bias = info->dlpi_addr;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_filesz;

		if (ph->p_type != PT_NOTE)
			continue;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
			const char *name = p + sizeof *n;

			/* Go writes its owner name as "Go\0\0" (namesz 4) */
			if ((n->n_namesz == 3 || n->n_namesz == 4) && n->n_type == GO_NOTE_BUILDID &&
			    memcmp(name, "Go", 3) == 0)
				m->go = true;
			p = name + ((n->n_namesz + 3) & ~3u) + ((n->n_descsz + 3) & ~3u);
		}
	}
	return 1; /* the first object is the main program */
}

bool gobinary_is_go(void)
{
	struct main_image m = {0, false};

	dl_iterate_phdr(inspect_main, &m);
	return m.go;
}

/* The libelf functions used, bound by name. */
struct libelf {
	unsigned (*version)(unsigned);
	Elf *(*begin)(int, Elf_Cmd, Elf *);
	Elf_Scn *(*nextscn)(Elf *, Elf_Scn *);
	GElf_Shdr *(*getshdr)(Elf_Scn *, GElf_Shdr *);
	Elf_Data *(*getdata)(Elf_Scn *, Elf_Data *);
	GElf_Sym *(*getsym)(Elf_Data *, int, GElf_Sym *);
	char *(*strptr)(Elf *, size_t, size_t);
	int (*end)(Elf *);
};

static bool bind_libelf(struct libelf *e)
{
	void *h = dlopen("libelf.so.1", RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		dlerror();
		return false;
	}
#define BIND(field, name) (e->field = (__typeof__(e->field))dlsym(h, name))
	return BIND(version, "elf_version") && BIND(begin, "elf_begin") &&
	       BIND(nextscn, "elf_nextscn") && BIND(getshdr, "gelf_getshdr") &&
	       BIND(getdata, "elf_getdata") && BIND(getsym, "gelf_getsym") &&
	       BIND(strptr, "elf_strptr") && BIND(end, "elf_end");
#undef BIND
}

bool gobinary_symbol(const char *name, uintptr_t *addr, size_t *size, const char **why)
{
	struct main_image m = {0, false};
	struct libelf e;
	Elf *elf;
	Elf_Scn *scn = NULL;
	bool found = false;
	int fd;

	if (!bind_libelf(&e)) {
		*why = "libelf.so.1 (Debian package libelf1) is not installed";
		return false;
	}
	dl_iterate_phdr(inspect_main, &m);
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*why = "cannot read the program's file";
		return false;
	}
	e.version(EV_CURRENT);
	elf = e.begin(fd, ELF_C_READ, NULL);
	while (elf && !found && (scn = e.nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!e.getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		data = e.getdata(scn, NULL);
		for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize && !found; i++) {
			GElf_Sym sym;
			const char *s;

			if (!e.getsym(data, (int)i, &sym))
				break;
			s = e.strptr(elf, sh.sh_link, sym.st_name);
			if (s && strcmp(s, name) == 0 && sym.st_value) {
				*addr = m.bias + sym.st_value;
				*size = sym.st_size;
				found = true;
			}
		}
	}
	if (elf)
		e.end(elf);
	sys_close(fd);
	if (!found)
		*why = "no symbol table entry for Go's system-call stub (a stripped binary?)";
	return found;
}
