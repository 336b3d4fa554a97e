/* The JVM's frames: the shim is also a JVMTI agent (Agent_OnLoad), loaded
 * by `-agentpath:/path/libsockshim.so` (the launcher puts it in
 * JAVA_TOOL_OPTIONS for java programs).
 *
 * HotSpot's AsyncGetCallTrace walks the calling thread's Java frames from
 * a signal handler (async-profiler's way): the frames of a thread inside a
 * native method (FileDispatcherImpl.close0 calling close) start at its last
 * Java frame, and AsyncGetCallTrace gives each frame as a method id and a
 * bytecode index.  It needs the method ids to exist beforehand, which the
 * agent makes them do (GetClassMethods when each class is prepared, and for
 * the classes loaded before the agent's events started).
 *
 * Naming a method id through JVMTI (GetMethodName...) allocates and may
 * wait for the VM, which an interposed call must not do.  So the agent
 * names every method when its class is prepared, in the VM's ordinary
 * callback, and keeps class, method, source file and line table in a
 * table the capture reads without a lock (insert-only, published by
 * compare-and-swap).  A method that is not there yet is left out.
 *
 * Only a thread the JVM knows is walked: JavaVM::GetEnv answers from the
 * thread's own TLS, as async-profiler asks it from its signal handler. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "langtrace.h"
#include "coldmem.h"
#include "config.h"
#include "shim.h"

#if defined(HAVE_JVMTI)
/* jvmti.h declares a few functions the old way, "()" */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <jvmti.h>
#pragma GCC diagnostic pop

#define EXPORT __attribute__((visibility("default")))

typedef struct {
	jint lineno; /* the bytecode index; negative for a native method */
	jmethodID method_id;
} asgct_frame;

typedef struct {
	JNIEnv *env_id;
	jint num_frames;
	asgct_frame *frames;
} asgct_trace;

struct jline {
	jlocation start;
	jint line;
};

struct jclass_names {
	char *name; /* "java.net.Socket" */
	char *file; /* "Socket.java", or NULL */
};

struct jmethod {
	const struct jclass_names *cls;
	char *name;
	jint nlines;
	struct jline *lines;
};

/* Method ids to their names: open addressing, insert only.  A slot is
 * taken by a compare-and-swap of its key; its value is published after. */
#define TABLE_BITS 18
#define TABLE_SIZE (1u << TABLE_BITS)
static struct {
	jmethodID key;
	struct jmethod *m;
} table[TABLE_SIZE] COLD_RARE;

static JavaVM *jvm;
static jvmtiEnv *jvmti;
static void (*asgct)(asgct_trace *, jint, void *);

static uint32_t slot_of(jmethodID id)
{
	uint64_t h = (uint64_t)(uintptr_t)id * 0x9e3779b97f4a7c15ULL;

	return (uint32_t)(h >> (64 - TABLE_BITS));
}

static const struct jmethod *find(jmethodID id)
{
	for (uint32_t i = slot_of(id), k = 0; k < TABLE_SIZE; k++, i = (i + 1) & (TABLE_SIZE - 1)) {
		jmethodID key = __atomic_load_n(&table[i].key, __ATOMIC_ACQUIRE);

		if (key == id)
			return __atomic_load_n(&table[i].m, __ATOMIC_ACQUIRE);
		if (!key)
			return NULL;
	}
	return NULL;
}

/* Claims id's slot; NULL if it was there already (or the table is full). */
static struct jmethod **claim(jmethodID id)
{
	for (uint32_t i = slot_of(id), k = 0; k < TABLE_SIZE; k++, i = (i + 1) & (TABLE_SIZE - 1)) {
		jmethodID key = __atomic_load_n(&table[i].key, __ATOMIC_ACQUIRE);

		if (key == id)
			return NULL;
		if (!key) {
			jmethodID none = NULL;

			if (__atomic_compare_exchange_n(&table[i].key, &none, id, false,
							__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				return &table[i].m;
			if (none == id)
				return NULL;
		}
	}
	return NULL;
}

/* "Ljava/net/Socket;" -> "java.net.Socket" (malloc'ed) */
static char *class_name(const char *sig)
{
	size_t n = strlen(sig);
	char *s;

	if (n >= 2 && sig[0] == 'L' && sig[n - 1] == ';')
		sig++, n -= 2;
	s = malloc(n + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		s[i] = sig[i] == '/' ? '.' : sig[i];
	s[n] = '\0';
	return s;
}

static char *dup_jvmti(char *s)
{
	char *d = s ? strdup(s) : NULL;

	if (s)
		(*jvmti)->Deallocate(jvmti, (unsigned char *)s);
	return d;
}

/* Names the methods of klass into the table (a class seen twice, from its
 * event and from the list at VMInit, is named once). */
static void prepare_class(jvmtiEnv *env, jclass klass)
{
	jint count = 0;
	jmethodID *methods = NULL;
	char *sig = NULL, *file = NULL;
	struct jclass_names *cls = NULL;

	if ((*env)->GetClassMethods(env, klass, &count, &methods) != JVMTI_ERROR_NONE)
		return;
	for (jint i = 0; i < count; i++) {
		struct jmethod **slot;
		struct jmethod *m;
		char *name = NULL;
		jvmtiLineNumberEntry *lines = NULL;
		jint nlines = 0;

		if (find(methods[i]))
			continue;
		if (!cls) {
			if ((*env)->GetClassSignature(env, klass, &sig, NULL) != JVMTI_ERROR_NONE)
				break;
			cls = calloc(1, sizeof *cls);
			if (!cls || !(cls->name = class_name(sig)))
				break;
			if ((*env)->GetSourceFileName(env, klass, &file) == JVMTI_ERROR_NONE)
				cls->file = dup_jvmti(file);
		}
		if ((*env)->GetMethodName(env, methods[i], &name, NULL, NULL) != JVMTI_ERROR_NONE)
			continue;
		m = calloc(1, sizeof *m);
		if (!m) {
			(*env)->Deallocate(env, (unsigned char *)name);
			break;
		}
		m->cls = cls;
		m->name = dup_jvmti(name);
		if ((*env)->GetLineNumberTable(env, methods[i], &nlines, &lines) == JVMTI_ERROR_NONE) {
			m->lines = malloc((size_t)nlines * sizeof *m->lines);
			if (m->lines) {
				for (jint k = 0; k < nlines; k++) {
					m->lines[k].start = lines[k].start_location;
					m->lines[k].line = lines[k].line_number;
				}
				m->nlines = nlines;
			}
			(*env)->Deallocate(env, (unsigned char *)lines);
		}
		if (!m->name || !(slot = claim(methods[i]))) {
			free(m->lines);
			free(m->name);
			free(m);
			continue;
		}
		__atomic_store_n(slot, m, __ATOMIC_RELEASE);
	}
	if (sig)
		(*env)->Deallocate(env, (unsigned char *)sig);
	if (methods)
		(*env)->Deallocate(env, (unsigned char *)methods);
	/* cls stays: the methods point to it (or it is small and unused) */
}

/* The source line of bytecode index bci: the entry with the greatest start
 * at or before it (entries are not always sorted). */
static int line_of(const struct jmethod *m, jint bci)
{
	jlocation best = -1;
	int line = -1;

	if (bci < 0)
		return -1;
	for (jint k = 0; k < m->nlines; k++)
		if (m->lines[k].start <= bci && m->lines[k].start > best) {
			best = m->lines[k].start;
			line = m->lines[k].line;
		}
	return line;
}

static int walk(struct lang_capture *cap, int max, void *scratch)
{
	JNIEnv *env = NULL;
	asgct_trace trace;

	if ((*jvm)->GetEnv(jvm, (void **)&env, JNI_VERSION_1_6) != JNI_OK || !env)
		return 0; /* not a thread of the JVM's */
	trace.env_id = env;
	trace.num_frames = 0;
	trace.frames = scratch;
	if (max > LANG_JVM_SCRATCH / (int)sizeof(asgct_frame))
		max = LANG_JVM_SCRATCH / (int)sizeof(asgct_frame);
	asgct(&trace, max, NULL);
	cap->n = 0;
	for (jint i = 0; i < trace.num_frames && cap->n < max; i++) {
		const struct jmethod *m = find(trace.frames[i].method_id);
		struct lang_frame *f = &cap->frames[cap->n];
		size_t cn, mn;
		const char *fn;

		if (!m)
			continue;
		cn = strlen(m->cls->name);
		mn = strlen(m->name);
		if (cn + 1 + mn > 65535 || !(fn = langtrace_keep(cap, m->cls->name, cn)) ||
		    !langtrace_keep(cap, ".", 1) || !langtrace_keep(cap, m->name, mn))
			break;
		f->lang = "java";
		f->function = fn;
		f->function_len = (uint16_t)(cn + 1 + mn);
		f->file = m->cls->file ? m->cls->file : "";
		f->file_len = (uint16_t)strnlen(f->file, 65535);
		f->line = line_of(m, trace.frames[i].lineno);
		cap->n++;
	}
	return cap->n;
}

static void JNICALL on_class_load(jvmtiEnv *env, JNIEnv *jni, jthread thread, jclass klass)
{
	/* AsyncGetCallTrace refuses to walk unless ClassLoad events are on */
	(void)env, (void)jni, (void)thread, (void)klass;
}

static void JNICALL on_class_prepare(jvmtiEnv *env, JNIEnv *jni, jthread thread, jclass klass)
{
	(void)jni, (void)thread;
	prepare_class(env, klass);
}

static void JNICALL on_vm_init(jvmtiEnv *env, JNIEnv *jni, jthread thread)
{
	jint count = 0;
	jclass *classes = NULL;

	(void)thread;
	/* the classes prepared before the events started */
	if ((*env)->GetLoadedClasses(env, &count, &classes) == JVMTI_ERROR_NONE) {
		for (jint i = 0; i < count; i++) {
			jint status = 0;

			if ((*env)->GetClassStatus(env, classes[i], &status) == JVMTI_ERROR_NONE &&
			    (status & JVMTI_CLASS_STATUS_PREPARED))
				prepare_class(env, classes[i]);
			(*jni)->DeleteLocalRef(jni, classes[i]);
		}
		(*env)->Deallocate(env, (unsigned char *)classes);
	}
	langtrace_set_jvm(walk);
}

/* AsyncGetCallTrace is exported by libjvm.so, which the java launcher
 * loads with RTLD_GLOBAL; else it is found through the object that holds
 * the JavaVM's functions. */
static void *find_asgct(JavaVM *vm)
{
	void *fn = dlsym(RTLD_DEFAULT, "AsyncGetCallTrace");
	Dl_info info;

	if (!fn && dladdr((void *)(*vm)->GetEnv, &info) && info.dli_fname) {
		void *h = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD);

		if (h) {
			fn = dlsym(h, "AsyncGetCallTrace");
			dlclose(h);
		}
	}
	dlerror();
	return fn;
}

EXPORT jint JNICALL Agent_OnLoad(JavaVM *vm, char *options, void *reserved)
{
	jvmtiCapabilities caps;
	jvmtiEventCallbacks cb;
	jvmtiEnv *env = NULL;

	(void)options, (void)reserved;
	/* Loaded by -agentpath without LD_PRELOAD, the shim is still a preload
	 * in all but name: everything works from here on but the calls made
	 * before. */
	if (!shim_ready() || !shim_cfg.lang_frames || !shim_cfg.backtrace ||
	    shim_cfg.events == EVENTS_NONE)
		return JNI_OK;
	if (jvm)
		return JNI_OK; /* loaded twice */
	if (!(asgct = (void (*)(asgct_trace *, jint, void *))find_asgct(vm)))
		return JNI_OK;
	if ((*vm)->GetEnv(vm, (void **)&env, JVMTI_VERSION_1_2) != JNI_OK || !env)
		return JNI_OK;
	memset(&caps, 0, sizeof caps);
	caps.can_get_source_file_name = 1;
	caps.can_get_line_numbers = 1;
	if ((*env)->AddCapabilities(env, &caps) != JVMTI_ERROR_NONE)
		return JNI_OK;
	memset(&cb, 0, sizeof cb);
	cb.VMInit = on_vm_init;
	cb.ClassLoad = on_class_load;
	cb.ClassPrepare = on_class_prepare;
	if ((*env)->SetEventCallbacks(env, &cb, sizeof cb) != JVMTI_ERROR_NONE)
		return JNI_OK;
	jvm = vm;
	jvmti = env;
	(*env)->SetEventNotificationMode(env, JVMTI_ENABLE, JVMTI_EVENT_VM_INIT, NULL);
	(*env)->SetEventNotificationMode(env, JVMTI_ENABLE, JVMTI_EVENT_CLASS_LOAD, NULL);
	(*env)->SetEventNotificationMode(env, JVMTI_ENABLE, JVMTI_EVENT_CLASS_PREPARE, NULL);
	/* a failure above leaves the program as it was: never refuse to start it */
	return JNI_OK;
}

#else /* no jvmti.h at build time: an agent that does nothing */

typedef int jint;
__attribute__((visibility("default"))) jint Agent_OnLoad(void *vm, char *options, void *reserved);
__attribute__((visibility("default"))) jint Agent_OnLoad(void *vm, char *options, void *reserved)
{
	(void)vm, (void)options, (void)reserved;
	return 0;
}

#endif
