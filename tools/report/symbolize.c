/* Naming frames with libdw (see symbolize.h). */
#define _GNU_SOURCE
#include "symbolize.h"

#include <dirent.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "perfmap.h"
#include "report.h"

/* One Dwfl per object, placed at address 0 so that its addresses are the
 * ELF virtual addresses the log's "offset" holds.  Objects cannot share one
 * Dwfl: all at 0, they would overlap.  A call site has a handful of
 * objects and only the top call sites are named, so a list will do. */
struct object {
	char *path;	  /* the module as the log names it */
	char *build_id;	  /* as the frame gives it, lower-case hex; NULL if none */
	char *file;	  /* what was opened for it */
	Dwfl *dwfl;
	Dwfl_Module *mod; /* NULL: not found here; names come from the log */
	bool stale;	  /* a frame of a call site differs: rebuilt since? */
};

/* pointers, not structs: an object must stay where it is as others are
 * added */
static struct object **objects;
static size_t nobjects;

static const char **binary_dirs, **debug_dirs;
static size_t nbinary_dirs, ndebug_dirs;

/* libdw's list of where debug files are: its default, and --debug-dir */
static char *debuginfo_path;
static const Dwfl_Callbacks offline_callbacks = {
	/* by build ID: the debug directories' .build-id, then debuginfod */
	.find_elf = dwfl_build_id_find_elf,
	/* /usr/lib/debug/.build-id (libc6-dbg and the like), .gnu_debuglink,
	 * then debuginfod */
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

/* Build IDs of the files under the --binaries directories, read when a
 * frame's build ID is first looked for. */
struct idfile {
	char *id;
	char *path;
};
static struct idfile *idfiles;
static size_t nidfiles;
static bool idfiles_read;

void sym_binary_dir(const char *dir)
{
	binary_dirs = xrealloc(binary_dirs, (nbinary_dirs + 1) * sizeof *binary_dirs);
	binary_dirs[nbinary_dirs++] = dir;
}

void sym_debug_dir(const char *dir)
{
	debug_dirs = xrealloc(debug_dirs, (ndebug_dirs + 1) * sizeof *debug_dirs);
	debug_dirs[ndebug_dirs++] = dir;
}

static void set_debuginfo_path(void)
{
	size_t len = sizeof ":.debug:/usr/lib/debug";

	if (debuginfo_path || ndebug_dirs == 0)
		return;
	for (size_t i = 0; i < ndebug_dirs; i++)
		len += strlen(debug_dirs[i]) + 1;
	debuginfo_path = xrealloc(NULL, len);
	strcpy(debuginfo_path, ":.debug:/usr/lib/debug");
	for (size_t i = 0; i < ndebug_dirs; i++) {
		strcat(debuginfo_path, ":");
		strcat(debuginfo_path, debug_dirs[i]);
	}
}

static bool is_file(const char *path)
{
	struct stat st;

	/* Only regular files: a log may name "[vdso]", or anything at all,
	 * and opening a FIFO would wait for ever. */
	return path[0] && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static char *hex(const unsigned char *bits, size_t n)
{
	char *s = xrealloc(NULL, 2 * n + 1);

	for (size_t i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", bits[i]);
	s[2 * n] = '\0';
	return s;
}

/* The build ID of frame FRAME, lower-case hex; NULL if it has none. */
static char *frame_build_id(json_t *frame)
{
	const char *s = json_string_value(json_object_get(frame, "build_id"));
	size_t n = s ? strlen(s) : 0;
	char *id;

	if (n < 2 || n > 128 || n % 2)
		return NULL;
	id = xstrdup(s);
	for (size_t i = 0; i < n; i++) {
		char c = id[i];

		if (c >= 'A' && c <= 'F')
			id[i] = (char)(c - 'A' + 'a');
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			free(id);
			return NULL;
		}
	}
	return id;
}

static size_t unhex(const char *id, unsigned char *bits)
{
	size_t n = strlen(id) / 2;

	for (size_t i = 0; i < n; i++) {
		unsigned v;

		sscanf(id + 2 * i, "%2x", &v);
		bits[i] = (unsigned char)v;
	}
	return n;
}

/* Opens FILE for O; with an ID, only if FILE has that build ID. */
static bool open_file(struct object *o, const char *file, const char *id)
{
	const unsigned char *bits;
	GElf_Addr vaddr;

	o->dwfl = dwfl_begin(&offline_callbacks);
	if (!o->dwfl)
		return false;
	dwfl_report_begin(o->dwfl);
	/* ET_DYN with add_p_vaddr: bias 0, addresses are p_vaddr based;
	 * ET_EXEC is where it is linked, which is what the log says too. */
	o->mod = dwfl_report_elf(o->dwfl, o->path, file, -1, 0, true);
	dwfl_report_end(o->dwfl, NULL, NULL);
	if (o->mod && id) {
		int n = dwfl_module_build_id(o->mod, &bits, &vaddr);
		char *have = n > 0 ? hex(bits, (size_t)n) : NULL;

		if (!have || strcmp(have, id) != 0)
			o->mod = NULL;
		free(have);
	}
	if (!o->mod) {
		dwfl_end(o->dwfl);
		o->dwfl = NULL;
		return false;
	}
	o->file = xstrdup(file);
	return true;
}

/* The build ID of the ELF file PATH, hex; NULL if it has none. */
static char *file_build_id(const char *path)
{
	struct object tmp = {.path = (char *)path};
	const unsigned char *bits;
	GElf_Addr vaddr;
	char *id = NULL;
	int n;

	if (!open_file(&tmp, path, NULL))
		return NULL;
	n = dwfl_module_build_id(tmp.mod, &bits, &vaddr);
	if (n > 0)
		id = hex(bits, (size_t)n);
	dwfl_end(tmp.dwfl);
	free(tmp.file);
	return id;
}

static void scan_dir(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) && nidfiles < 100000) {
		char *path, *id;
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if (asprintf(&path, "%s/%s", dir, e->d_name) < 0)
			die_oom();
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && depth < 4) {
			scan_dir(path, depth + 1);
		} else if (is_file(path) && (id = file_build_id(path))) {
			idfiles = xrealloc(idfiles, (nidfiles + 1) * sizeof *idfiles);
			idfiles[nidfiles].id = id;
			idfiles[nidfiles++].path = path;
			continue;
		}
		free(path);
	}
	closedir(d);
}

/* A file of build ID ID: under the --binaries directories, else where
 * libdw finds one (the debug directories, debuginfod): the object
 * itself, or else its separate debug file, which names as well. */
static bool open_by_build_id(struct object *o, const char *id)
{
	unsigned char bits[64];
	size_t n = unhex(id, bits);
	char *file = NULL;
	Elf *elf = NULL;
	Dwfl *dwfl;
	Dwfl_Module *mod;
	int fd;
	bool ok = false;

	if (!idfiles_read) {
		idfiles_read = true;
		for (size_t i = 0; i < nbinary_dirs; i++)
			scan_dir(binary_dirs[i], 0);
	}
	for (size_t i = 0; i < nidfiles; i++)
		if (strcmp(idfiles[i].id, id) == 0 && open_file(o, idfiles[i].path, id))
			return true;

	/* a module of that build ID, for libdw's callbacks to look up */
	dwfl = dwfl_begin(&offline_callbacks);
	if (!dwfl)
		return false;
	dwfl_report_begin(dwfl);
	mod = dwfl_report_module(dwfl, o->path, 0, 1);
	if (mod && dwfl_module_report_build_id(mod, bits, n, 0) == 0) {
		fd = dwfl_build_id_find_elf(mod, NULL, o->path, 0, &file, &elf);
		if (elf)
			elf_end(elf);
		if (fd < 0) {
			free(file);
			file = NULL;
			fd = dwfl_standard_find_debuginfo(mod, NULL, o->path, 0, NULL, NULL, 0, &file);
		}
		/* debuginfod gives a descriptor of its cached file, no name */
		if (fd >= 0 && !file) {
			char link[64], target[4096];
			ssize_t len;

			snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
			len = readlink(link, target, sizeof target - 1);
			if (len > 0)
				file = xstrndup(target, (size_t)len);
		}
		if (fd >= 0)
			close(fd);
	}
	dwfl_report_end(dwfl, NULL, NULL);
	dwfl_end(dwfl);
	if (file)
		ok = open_file(o, file, id);
	free(file);
	return ok;
}

/* Opens FILE for O if it is a regular file (*SEEN then) of build ID ID. */
static void try_file(struct object *o, const char *file, const char *id, bool *seen)
{
	if (is_file(file)) {
		*seen = true;
		open_file(o, file, id);
	}
}

static struct object *object_open(const char *path, const char *id)
{
	struct object *o;
	const char *base = strrchr(path, '/');
	char *cand;
	bool seen = false;
	size_t i;

	for (i = 0; i < nobjects; i++)
		if (strcmp(objects[i]->path, path) == 0 &&
		    (objects[i]->build_id ? id && strcmp(objects[i]->build_id, id) == 0 : !id))
			return objects[i];
	o = xcalloc(1, sizeof *o);
	o->path = xstrdup(path);
	o->build_id = id ? xstrdup(id) : NULL;
	objects = xrealloc(objects, (nobjects + 1) * sizeof *objects);
	objects[nobjects++] = o;
	set_debuginfo_path();
	if (!path[0])
		return o;
	/* binaries copied from the host: DIR/opt/app/server, DIR/server;
	 * then the path itself */
	base = base ? base + 1 : path;
	for (i = 0; i < nbinary_dirs && !o->mod; i++) {
		if (path[0] == '/') {
			if (asprintf(&cand, "%s%s", binary_dirs[i], path) < 0)
				die_oom();
			try_file(o, cand, id, &seen);
			free(cand);
		}
		if (!o->mod && base[0]) {
			if (asprintf(&cand, "%s/%s", binary_dirs[i], base) < 0)
				die_oom();
			try_file(o, cand, id, &seen);
			free(cand);
		}
	}
	if (!o->mod)
		try_file(o, path, id, &seen);
	/* a file there, but not of the frame's build ID: by the ID, or else
	 * not trusted (named from the log, and told) */
	if (!o->mod && id && !open_by_build_id(o, id) && seen)
		o->stale = true;
	return o;
}

void sym_close(void)
{
	for (size_t i = 0; i < nobjects; i++) {
		if (objects[i]->dwfl)
			dwfl_end(objects[i]->dwfl);
		free(objects[i]->path);
		free(objects[i]->build_id);
		free(objects[i]->file);
		free(objects[i]);
	}
	free(objects);
	objects = NULL;
	nobjects = 0;
	for (size_t i = 0; i < nidfiles; i++) {
		free(idfiles[i].id);
		free(idfiles[i].path);
	}
	free(idfiles);
	idfiles = NULL;
	nidfiles = 0;
	idfiles_read = false;
	free(binary_dirs);
	free(debug_dirs);
	binary_dirs = debug_dirs = NULL;
	nbinary_dirs = ndebug_dirs = 0;
	free(debuginfo_path);
	debuginfo_path = NULL;
}

/* S as a JSON string even if it is not UTF-8: file names, and the names
 * that an object file holds, may not be.  The bytes that are not become '?'. */
static json_t *jstr_lossy(const char *s)
{
	json_t *v = json_string(s);
	char *copy;

	if (v)
		return v;
	copy = xstrdup(s);
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	v = json_string(copy);
	free(copy);
	if (!v)
		die_oom();
	return v;
}

/* The hexadecimal number of a frame's "offset" ("0x1234"). */
static bool frame_offset(json_t *frame, uint64_t *off)
{
	const char *s = json_string_value(json_object_get(frame, "offset"));
	char *end;

	/* strtoull alone would take " 12", "-1" and "" too */
	if (!s || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !((s[2] >= '0' && s[2] <= '9') ||
	    (s[2] >= 'a' && s[2] <= 'f') || (s[2] >= 'A' && s[2] <= 'F')))
		return false;
	errno = 0;
	*off = strtoull(s + 2, &end, 16);
	return errno == 0 && *end == '\0';
}

/* The object a frame names (NULL if it names none). */
static struct object *frame_object(json_t *frame)
{
	const char *module = json_string_value(json_object_get(frame, "module"));
	char *id;
	struct object *o;

	if (!module)
		return NULL;
	id = frame_build_id(frame);
	o = object_open(module, id);
	free(id);
	return o;
}

/* The start of the function that a frame's "symbol" ("name+0x1f", from
 * dladdr at the return address OFF) names. */
static bool log_symbol_start(const char *sym, uint64_t off, uint64_t *start)
{
	const char *plus = sym ? strrchr(sym, '+') : NULL;
	uint64_t d;
	char *end;

	if (!plus || plus == sym || strncmp(plus + 1, "0x", 2) != 0 || !plus[3])
		return false;
	errno = 0;
	d = strtoull(plus + 3, &end, 16);
	if (errno || *end || d > off)
		return false;
	*start = off - d;
	return true;
}

/* What a frame's "symbol" says of the object file it names (*OBJ, NULL if
 * none): where the log's symbol says its function starts, a symbol of this
 * file must start.  An object rebuilt since the log was written would
 * otherwise give names and lines that look right and are not.  (Not "the
 * symbol around the address starts there": dladdr sees only the dynamic
 * symbols, and a local one nested in an exported one's range would look
 * like a change.) */
enum verdict { V_UNKNOWN, V_AGREES, V_DIFFERS };

static enum verdict check_frame(json_t *frame, struct object **obj)
{
	const char *sym = json_string_value(json_object_get(frame, "symbol"));
	uint64_t off, start;
	GElf_Off symoff;
	GElf_Sym esym;
	GElf_Word shndx;
	Elf *elf;
	Dwarf_Addr bias;

	*obj = NULL;
	if (!frame_offset(frame, &off) || off == 0)
		return V_UNKNOWN;
	*obj = frame_object(frame);
	if (!*obj || !(*obj)->mod || !log_symbol_start(sym, off, &start))
		return V_UNKNOWN;
	if (!dwfl_module_addrinfo((*obj)->mod, start, &symoff, &esym, &shndx, &elf, &bias) || symoff != 0)
		return V_DIFFERS;
	return V_AGREES;
}

void sym_check(json_t *bt)
{
	struct object *o;
	json_t *fr;
	size_t j;

	json_array_foreach(bt, j, fr)
		if (check_frame(fr, &o) == V_DIFFERS)
			o->stale = true;
}

/* A frame of a call site as the report shows it: where it is (module,
 * offset), the function and, with debug info, the source line. */
static json_t *name_frame(json_t *frame, bool stale, long pid)
{
	const char *module = json_string_value(json_object_get(frame, "module"));
	const char *logsym = json_string_value(json_object_get(frame, "symbol"));
	json_t *out = jcheck(json_object());
	const char *name = NULL, *file = NULL, *comp_dir = NULL;
	uint64_t off = 0, start = 0;
	bool have_off = frame_offset(frame, &off);
	struct object *o = NULL;
	int line = 0;

	jset(out, "module", module ? json_string(module) : json_null());
	jset(out, "offset", have_off ? json_sprintf("0x%" PRIx64, off) : json_null());
	if (have_off && off > 0)
		o = frame_object(frame);
	if (o && o->build_id)
		jset(out, "build_id", json_string(o->build_id));
	if (o && o->mod && !stale) {
		/* A return address: the call is the instruction before it,
		 * and may be the last one of its function. */
		uint64_t pc = off - 1;
		GElf_Off symoff;
		GElf_Sym esym;
		GElf_Word shndx;
		Elf *elf;
		Dwarf_Addr bias;
		Dwfl_Line *dl;

		name = dwfl_module_addrinfo(o->mod, pc, &symoff, &esym, &shndx, &elf, &bias);
		/* absolute symbols (GLIBC_2.2.5 and the like) are no code */
		if (name && shndx == SHN_ABS)
			name = NULL;
		if (name)
			start = pc - symoff;
		dl = dwfl_module_getsrc(o->mod, pc);
		if (dl) {
			file = dwfl_lineinfo(dl, NULL, &line, NULL, NULL, NULL);
			comp_dir = dwfl_line_comp_dir(dl);
		}
		/* found elsewhere than at the log's path */
		if (strcmp(o->file, o->path) != 0)
			jset(out, "object", jstr_lossy(o->file));
	}
	if (!name && !module && !logsym && pid > 0) {
		/* no module: JIT code, named by the process's perf map if
		 * there is one */
		const char *ipt = json_string_value(json_object_get(frame, "ip"));
		uint64_t ip = ipt ? strtoull(ipt, NULL, 16) : 0, jstart;
		const char *jit = ip ? perfmap_name(pid, ip - 1, &jstart) : NULL;

		if (jit) {
			char *sym;

			if (asprintf(&sym, "%s+0x%" PRIx64, jit, ip - jstart) < 0)
				die_oom();
			jset(out, "function", jstr_lossy(jit));
			jset(out, "symbol", jstr_lossy(sym));
			jset(out, "from", json_string("perf-map"));
			free(sym);
			return out;
		}
	}
	if (name) {
		/* "__libc_start_main@@GLIBC_2.34": the function is the name */
		char *fn = xstrdup(name), *sym;

		fn[strcspn(fn, "@")] = '\0';
		if (asprintf(&sym, "%s+0x%" PRIx64, fn, off - start) < 0)
			die_oom();
		jset(out, "function", jstr_lossy(fn));
		jset(out, "symbol", jstr_lossy(sym));
		free(fn);
		free(sym);
		jset(out, "from", json_string("libdw"));
	} else if (logsym) {
		const char *plus = strrchr(logsym, '+');

		jset(out, "function", plus && plus != logsym ?
		     json_stringn(logsym, (size_t)(plus - logsym)) : json_string(logsym));
		jset(out, "symbol", json_string(logsym));
		jset(out, "from", json_string("log"));
	} else {
		jset(out, "function", json_null());
		jset(out, "symbol", json_null());
		jset(out, "from", json_null());
	}
	if (file && line > 0) {
		jset(out, "file", jstr_lossy(file));
		jset(out, "line", json_integer(line));
		/* a relative name is relative to where it was compiled */
		if (file[0] != '/' && comp_dir)
			jset(out, "comp_dir", jstr_lossy(comp_dir));
	}
	if (stale)
		jset(out, "stale", json_true());
	return out;
}

/* The frames of a call site's backtrace BT, named.  An object is trusted
 * for the call site when the site's own frames in it agree with it; when
 * they say nothing, when no frame of any call site said it differs.  A
 * directory of logs that spans an upgrade then gets the new build's call
 * sites named in full and the old one's from the log. */
json_t *sym_name_frames(json_t *bt, long pid)
{
	size_t n = json_array_size(bt), j, k;
	struct object **objs = xcalloc(n, sizeof *objs);
	enum verdict *v = xcalloc(n, sizeof *v);
	json_t *frames = jcheck(json_array()), *fr;

	json_array_foreach(bt, j, fr)
		v[j] = check_frame(fr, &objs[j]);
	json_array_foreach(bt, j, fr) {
		bool agrees = false, differs = false;

		for (k = 0; k < n; k++) {
			if (!objs[j] || objs[k] != objs[j])
				continue;
			agrees |= v[k] == V_AGREES;
			differs |= v[k] == V_DIFFERS;
		}
		if (json_array_append_new(frames, name_frame(fr, differs || (!agrees && objs[j] && objs[j]->stale), pid)))
			die_oom();
	}
	free(objs);
	free(v);
	return frames;
}

json_t *sym_stale_objects(void)
{
	json_t *stale = jcheck(json_array());

	for (size_t i = 0; i < nobjects; i++) {
		bool told = false;

		/* one path may be opened for several build IDs */
		for (size_t j = 0; j < i && !told; j++)
			told = objects[j]->stale && strcmp(objects[j]->path, objects[i]->path) == 0;
		if (objects[i]->stale && !told && json_array_append_new(stale, jstr_lossy(objects[i]->path)))
			die_oom();
	}
	return stale;
}
