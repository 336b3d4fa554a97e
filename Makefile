# sockshim.  `make` builds build/libsockshim.so; `make check` runs every test,
# `make check-core` those that need no heavy server (what a package build
# runs); `make deps` installs what the build and the tests need (Debian 12);
# `make deb` builds the Debian packages into build/deb/.
#
# CPPFLAGS, CFLAGS and LDFLAGS from the environment (dpkg-buildflags'
# hardening) are added to the project's own.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
# WERROR=1: warnings are errors (CI).  SAN=address,undefined or SAN=thread:
# build the library and the tests with those sanitizers.
WERROR  ?= 0
SAN     ?=

# The release, kept in one place: the first line of debian/changelog.
VERSION := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
ifeq ($(VERSION),)
$(error no version in the first line of debian/changelog)
endif

B := build

# One build directory, rebuilt when the flavour (SAN=...) changes, so that
# every path (the launcher's ../build included) stays the same.
comma := ,
FLAVOR := $(if $(SAN),san-$(subst $(comma),-,$(SAN)),plain)
ifneq ($(FLAVOR),$(shell cat $(B)/.flavor 2>/dev/null))
$(shell rm -rf $(B)/shim $(B)/supervisor $(B)/sockshim-supervise $(B)/progs $(B)/tests $(B)/report $(B)/*.so $(B)/bench $(B)/sockshim-report; \
	mkdir -p $(B) && echo $(FLAVOR) > $(B)/.flavor)
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wpointer-arith -Wformat=2 -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARN += -Werror
endif
SANFLAGS := $(if $(SAN),-fsanitize=$(SAN) -fno-omit-frame-pointer,)

BASE_CPPFLAGS := -Iinclude -DSHIM_VERSION='"$(VERSION)"'
BASE_CFLAGS := -std=gnu11 -O2 -g $(BASE_CPPFLAGS) $(WARN) $(SANFLAGS)
# The caller's CPPFLAGS and CFLAGS come after the project's (theirs win);
# every compile below uses $(CFLAGS), so CPPFLAGS rides along in it.
override CFLAGS := $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS)
LDFLAGS ?=
# libunwind is dlopen'ed by its soname (see shim/backtrace.c).
UNWIND_SONAME := $(or $(shell objdump -p $$($(CC) -print-file-name=libunwind.so) 2>/dev/null | sed -n 's/^ *SONAME *//p'),libunwind.so.8)
# Frame pointers in the shim's own code: the backtrace of a call skips the
# shim's frames by their chain (shim/unwind.c), not by unwinding each.
# -fno-plt: the shim's calls into libc through the GOT (bound at load, -z
# now), one jump fewer each, not through .plt stubs (.plt keeps only the C
# runtime's own entries).
# -fno-stack-protector after the caller's CFLAGS: the shim's frames run in
# the program's signal handlers on small alternate stacks (a 4 KiB one in
# tests/integration/regress_altstack_close.sh, with 56 bytes to spare), and
# the canaries of -fstack-protector-strong (dpkg-buildflags' hardening,
# Ubuntu's default) overflow it.
SHIM_CFLAGS := $(CFLAGS) -fPIC -fvisibility=hidden -ftls-model=initial-exec \
               -fno-omit-frame-pointer -DSHIM_FRAME_POINTERS \
               -DUNWIND_SONAME='"$(UNWIND_SONAME)"' -fno-stack-protector -fno-plt
# The JVM agent (shim/jvmagent.c) needs the JDK's jvmti.h: found next to
# javac, else under /usr/lib/jvm; without it the agent does nothing.
JDK_INCLUDE ?= $(firstword $(wildcard $(dir $(realpath $(shell command -v javac 2>/dev/null)))../include) \
                 $(wildcard /usr/lib/jvm/default-java/include /usr/lib/jvm/java-*-openjdk-*/include))
ifneq ($(wildcard $(JDK_INCLUDE)/jvmti.h),)
SHIM_CFLAGS += -DHAVE_JVMTI -I$(JDK_INCLUDE) -I$(JDK_INCLUDE)/linux
endif
SHIM_LDFLAGS := -shared -Wl,--version-script=shim/libsockshim.map \
                -Wl,-z,relro,-z,now -Wl,--no-undefined -Wl,-fini=shim_fini $(SANFLAGS) $(LDFLAGS)
# The big tables' order after .bss (include/coldmem.h); the i386 library
# has none of those sections and links without it.
SHIM_LDFLAGS64 := -Wl,-T,shim/cold.ld
SHIM_LIBS := -ldl -lpthread

SHIM_SRCS := $(sort $(wildcard shim/*.c))
# vfork needs assembly; x86_64 only (elsewhere vfork is not interposed).
# Asked of the compiler, not of the machine: CC may build for another.
SHIM_ASM  := $(if $(filter x86_64-%,$(shell $(CC) -dumpmachine)),$(wildcard shim/*.S))
SHIM_OBJS := $(SHIM_SRCS:shim/%.c=$(B)/shim/%.o) $(SHIM_ASM:shim/%.S=$(B)/shim/%.o)
HEADERS   := $(wildcard include/*.h)

LIB := $(B)/libsockshim.so
# (its rules are below, with the supervisor's sources; named here, before
# any rule or := that lists it: `make check`'s list of what it builds named
# it before it was defined, as nothing, and the supervisor was built only
# by a test that ran `make all` first: regress_check_builds_supervisor)
SUPERVISOR := $(B)/sockshim-supervise

# Debian packages: what the library needs to build, and what the tests use.
DEB_BUILD := make gcc libc6-dev pkg-config libunwind-dev
DEB_TEST  := libcmocka-dev libjansson-dev socat curl python3 procps iproute2 strace valgrind \
             nginx-light redis-server wrk golang-go haproxy lighttpd memcached jq time \
             logrotate systemd rsyslog \
             nodejs default-jdk-headless ruby php-cli rustc postgresql dnsmasq-base \
             openssh-server musl-tools libcap2-bin
# the fuzzers (clang's libFuzzer) and ThreadSanitizer's runtime
DEB_CHECK := clang libclang-rt-14-dev libtsan2 libasan8 libubsan1
# `make deb` and its tests (a fresh Debian root from debootstrap), and the
# i386 library (gcc -m32)
DEB_PACKAGE := dpkg-dev debhelper lintian debootstrap gcc-multilib
DEB_ALL   := $(DEB_BUILD) $(DEB_TEST) $(DEB_CHECK) $(DEB_PACKAGE)

.PHONY: all check check-core unit integration bench bench-against bench-report demo fuzz install uninstall deb deps clean check-build-deps check-test-deps
.DEFAULT_GOAL := all

all: check-build-deps $(LIB)

# A missing dependency gets one line naming the Debian package, not a wall
# of compiler errors.
check-build-deps:
	@tools/check-deps build
check-test-deps:
	@tools/check-deps test

$(B)/shim/%.o: shim/%.c $(HEADERS) | $(B)/shim
	$(CC) $(SHIM_CFLAGS) -c $< -o $@

$(B)/shim/%.o: shim/%.S | $(B)/shim
	$(CC) -c $< -o $@

$(LIB): $(SHIM_OBJS) shim/libsockshim.map shim/cold.ld
	$(CC) $(SHIM_LDFLAGS) $(SHIM_LDFLAGS64) -o $@ $(SHIM_OBJS) $(SHIM_LIBS)

# ---- the i386 library ----------------------------------------------------
# On an amd64 host with gcc-multilib: build/i386/libsockshim.so, for the
# 32-bit programs the launcher runs (it picks the library of the program's
# architecture).  No vfork trampoline (vfork passes through, not
# interposed) and no raw mode (refused with a raw_mode record) there.
# Built by `make` when `$(CC) -m32` can link; `make lib32` says why not.
B32      := $(B)/i386
LIB32    := $(B32)/libsockshim.so
CC32     ?= $(CC) -m32
HAVE_M32 := $(if $(filter x86_64-%,$(shell $(CC) -dumpmachine)),$(shell printf 'int main(void){return 0;}' | \
	$(CC32) -x c - -o /dev/null 2>/dev/null && echo yes))
SHIM32_OBJS := $(SHIM_SRCS:shim/%.c=$(B32)/shim/%.o)

$(B32)/shim/%.o: shim/%.c $(HEADERS) | $(B32)/shim
	$(CC32) $(filter-out -fsanitize=%,$(SHIM_CFLAGS)) -c $< -o $@
$(LIB32): $(SHIM32_OBJS) shim/libsockshim.map
	$(CC32) $(filter-out -fsanitize=%,$(SHIM_LDFLAGS)) -o $@ $(SHIM32_OBJS) $(SHIM_LIBS)
$(B32)/shim:
	mkdir -p $@
ifeq ($(HAVE_M32),yes)
all: $(LIB32)
lib32: $(LIB32)
else
lib32:
	@echo "sockshim: no i386 library: '$(CC32)' cannot link here (on amd64: apt-get install gcc-multilib)" >&2; exit 1
endif
.PHONY: lib32

$(B)/shim $(B)/tests $(B)/progs:
	mkdir -p $@

# ---- tests ---------------------------------------------------------------
# Unit tests link the logic modules directly; each tests/unit/test_X.c names
# the modules it needs in UNIT_X.
UNIT_config := config
UNIT_fdtab  := fdtab
UNIT_record := record
# event.o and what it stands on: the call scope, backtraces, the log.
UNIT_event  := event langtrace elfsym record backtrace symcache unwind call close_history fdtab log logframe privfd config proc ratelimit
UNIT_symcache := symcache record
# backtrace.c's frames against the loader: the same modules as event's
UNIT_backtrace := $(UNIT_event)
LIBS_backtrace := -Wl,--wrap=dl_iterate_phdr
UNIT_call := call close_history config
LIBS_call := -Wl,--wrap=backtrace_capture_fast,--wrap=backtrace_resume_fast \
             -Wl,--wrap=backtrace_capture,--wrap=backtrace_from_frame_pointers
UNIT_unwind := unwind
LIBS_unwind := -lunwind
# the framing of records for syslog and journald: pure functions
UNIT_log_framing := logframe record
# the close decisions stand on the table alone
UNIT_fdend  := fdend fdtab config
UNIT_ratelimit := ratelimit
# who else holds a socket: /proc read with raw system calls
UNIT_holders := holders proc
# the fork tree's reference counts: the table and its shared memory
UNIT_sharecount := sharecount fdtab config
UNIT_langtrace := $(UNIT_event)
# the shim's own descriptors and their marks in the table
UNIT_privfd := privfd fdtab
UNIT_TESTS  := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c))

$(B)/tests/test_%: tests/unit/test_%.c $(HEADERS) $(SHIM_OBJS) | $(B)/tests
	$(CC) $(CFLAGS) -rdynamic -o $@ $< $(foreach m,$(UNIT_$*),$(B)/shim/$(m).o) \
		-lcmocka -ljansson -ldl -lpthread $(LIBS_$*)


# Programs that integration tests run under the shim.  -rdynamic puts their
# function names in the dynamic symbol table, where backtraces find them.
PROG_SRCS := $(wildcard tests/progs/*.c)
PROGS     := $(PROG_SRCS:tests/progs/%.c=$(B)/progs/%)
$(B)/progs/%: tests/progs/%.c tests/progs/progs.h tests/progs/shimpages.h | $(B)/progs
	$(CC) $(CFLAGS) -Wno-missing-prototypes -O0 -rdynamic -pthread -o $@ $<

# A -O0 library's function called through the PLT
# (regress_supervise_stale_return_address)
$(B)/progs/libplt_closer.so: tests/progs/lib/plt_closer.c | $(B)/progs
	$(CC) $(filter-out -fsanitize=%,$(CFLAGS)) -O0 -fPIC -shared -o $@ $<
$(B)/progs/plt_closer: tests/progs/plt_closer.c tests/progs/progs.h $(B)/progs/libplt_closer.so | $(B)/progs
	$(CC) $(CFLAGS) -Wno-missing-prototypes -O0 -rdynamic -pthread -o $@ $< \
		-L$(B)/progs -lplt_closer -Wl,-rpath,'$$ORIGIN'

# A statically linked program: the launcher must refuse it.
$(B)/progs/static_hello: tests/progs/show_env.c tests/progs/progs.h | $(B)/progs
	$(CC) $(filter-out -fsanitize=%,$(CFLAGS)) -Wno-missing-prototypes -static -o $@ $<
PROGS += $(B)/progs/static_hello

# A 32-bit program: the launcher must shim it with the i386 library, or
# refuse it when there is none.
ifeq ($(HAVE_M32),yes)
$(B)/progs/seed_server32: tests/progs/seed_server.c tests/progs/progs.h | $(B)/progs
	$(CC32) $(filter-out -fsanitize=%,$(CFLAGS)) -Wno-missing-prototypes -O0 -rdynamic -pthread -o $@ $<
PROGS += $(B)/progs/seed_server32
# and one built with 64-bit time (glibc's __recvmsg64, __recvmmsg64)
$(B)/progs/received_at_exit32t64: tests/progs/received_at_exit.c tests/progs/progs.h | $(B)/progs
	$(CC32) $(filter-out -fsanitize=%,$(CFLAGS)) -D_TIME_BITS=64 -D_FILE_OFFSET_BITS=64 \
		-Wno-missing-prototypes -O0 -rdynamic -pthread -o $@ $<
PROGS += $(B)/progs/received_at_exit32t64
# the exec family on i386, whose va_list is passed by value
$(B)/progs/exec_variants32: tests/progs/exec_variants.c tests/progs/progs.h | $(B)/progs
	$(CC32) $(filter-out -fsanitize=%,$(CFLAGS)) -Wno-missing-prototypes -O0 -o $@ $<
PROGS += $(B)/progs/exec_variants32
# Static i386 programs, which only the supervisor reaches
STATIC32_PROGS := seed_server events pass_server reuse_cleared
$(B)/progs/static32/%: tests/progs/%.c tests/progs/progs.h | $(B)/progs
	@mkdir -p $(@D)
	$(CC32) $(filter-out -fsanitize=%,$(CFLAGS)) -Wno-missing-prototypes -O0 -static -pthread -o $@ $<
PROGS += $(STATIC32_PROGS:%=$(B)/progs/static32/%)
endif
# Statically linked programs that the supervisor's tests run (sockshim
# --supervise reaches them; no preload can).
STATIC_PROGS := seed_server events fork_server thread_server exit_server spawn_server pass_server reuse_cleared \
                trap_ticks rebind epoll_end_by linger_close_next thread_closes clone_parent many_ends \
                refork_unseen staggered_closes
$(B)/progs/static/%: tests/progs/%.c tests/progs/progs.h | $(B)/progs
	@mkdir -p $(@D)
	$(CC) $(filter-out -fsanitize=%,$(CFLAGS)) -Wno-missing-prototypes -O0 -static -pthread -o $@ $<
PROGS += $(STATIC_PROGS:%=$(B)/progs/static/%)
# and built with musl (musl-tools), whose libc has no unwind tables
MUSL_CC := $(shell command -v musl-gcc 2>/dev/null)
ifneq ($(MUSL_CC),)
$(B)/progs/musl/%: tests/progs/%.c tests/progs/progs.h | $(B)/progs
	@mkdir -p $(@D)
	$(MUSL_CC) $(filter-out -fsanitize=%,$(CFLAGS)) -Wno-missing-prototypes -O0 -static -o $@ $<
PROGS += $(B)/progs/musl/seed_server
endif

# Other preloaded libraries, to stack the shim with.
PRELOAD_SRCS := $(wildcard tests/preload/*.c)
PRELOADS     := $(PRELOAD_SRCS:tests/preload/%.c=$(B)/progs/%.so)
$(B)/progs/%.so: tests/preload/%.c | $(B)/progs
	$(CC) $(CFLAGS) -fPIC -shared -o $@ $< -ldl

unit: check-test-deps $(UNIT_TESTS)
	@tests/run-unit $(UNIT_TESTS)

integration: all $(SUPERVISOR) $(PROGS) $(PRELOADS) $(B)/sockshim-report
	@tests/run-integration

CHECK_BUILT := $(LIB) $(SUPERVISOR) $(if $(filter yes,$(HAVE_M32)),$(LIB32)) $(UNIT_TESTS) $(PROGS) $(PRELOADS) \
	$(B)/sockshim-report
check: check-build-deps check-test-deps $(CHECK_BUILT)
	@tests/run-unit $(UNIT_TESTS)
	@tests/run-integration

# The unit tests and the integration tests that need no heavy server
# (nginx, redis, haproxy, Go, valgrind, rsyslog, journald...) nor a package
# build: those are marked "# group: servers" or "# group: package" in
# their first lines.  What `debian/rules` runs at build time.
check-core: check-build-deps check-test-deps $(CHECK_BUILT)
	@tests/run-unit $(UNIT_TESTS)
	@tests/run-integration --core

$(B)/bench: tools/bench.c | $(B)/shim
	$(CC) $(CFLAGS) -pthread -o $@ $<

# make bench's floor for the supervisor (a supervisor that only answers)
$(B)/progs/supervise_floor: tests/progs/supervise_floor.c tests/progs/progs.h | $(B)/progs
	$(CC) $(filter-out -fsanitize=%,$(CFLAGS)) -Wno-missing-prototypes -o $@ $< -lseccomp

bench: all $(B)/bench $(B)/progs/flood $(B)/progs/empty.so $(B)/sockshim-report $(B)/progs/supervise_floor
	@tools/bench

# make bench-against REV=commit: this build's library against REV's, row by
# row in one interleaved run (tools/bench's BASE): whether a change made a
# row worse, free of the day-to-day drift of this VM's bare times.  REV's
# tree is taken by git archive into $(B)/base/ and built there alone.
bench-against: all $(B)/bench
	@test -n "$(REV)" || { echo "usage: make bench-against REV=commit" >&2; exit 2; }
	@rev=$$(git rev-parse --short "$(REV)^{commit}") || exit 2; \
	dir=$(B)/base/$$rev; \
	if ! [ -f $$dir/build/libsockshim.so ]; then \
		rm -rf $$dir && mkdir -p $$dir && git archive "$$rev" | tar -x -C $$dir && \
		$(MAKE) -s -C $$dir build/libsockshim.so >$$dir.log 2>&1 || \
		{ echo "bench-against: $$rev does not build (see $$dir.log)" >&2; exit 1; }; \
	fi; \
	BASE=$$dir/build/libsockshim.so tools/bench

# the report's row of `make bench` alone
bench-report: $(B)/sockshim-report
	@tools/bench report

demo: check-build-deps $(LIB) $(B)/progs/seed_server $(B)/progs/seed_client $(B)/sockshim-report
	@tools/demo

# ---- fuzzing -------------------------------------------------------------
# libFuzzer harnesses (clang), each run FUZZ_SECONDS from the seed corpus in
# tests/fuzz/corpus/NAME (copied: the run's finds stay in build/).
FUZZ_SECONDS ?= 30
FUZZ_CC      ?= clang
FUZZ_FLAGS   := -g -O1 $(BASE_CPPFLAGS) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
$(B)/fuzz/fuzz_config: tests/fuzz/fuzz_config.c shim/config.c $(HEADERS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_config.c shim/config.c
$(B)/fuzz/fuzz_record: tests/fuzz/fuzz_record.c shim/record.c $(HEADERS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_record.c shim/record.c -ljansson

# the report's line parser, held to jansson's idea of JSON
FUZZ_REPORT_SRCS := tests/fuzz/fuzz_report_line.c tools/report/input.c tools/report/jscan.c \
	tools/report/agg.c tools/report/map.c tools/report/filter.c tools/report/util.c
$(B)/fuzz/fuzz_report_line: $(FUZZ_REPORT_SRCS) $(HEADERS) $(wildcard tools/report/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Itools/report -o $@ $(FUZZ_REPORT_SRCS) -ljansson
$(B)/fuzz/fuzz_logframe: tests/fuzz/fuzz_logframe.c shim/logframe.c shim/record.c $(HEADERS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_logframe.c shim/logframe.c shim/record.c -ljansson

# the unwinder's reader of call frame information
$(B)/fuzz/fuzz_unwind: tests/fuzz/fuzz_unwind.c shim/unwind.c $(HEADERS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_unwind.c shim/unwind.c

# the supervisor's reader of Go's function table
$(B)/fuzz/fuzz_gopcln: tests/fuzz/fuzz_gopcln.c supervisor/gopcln.c supervisor/supervisor.h $(HEADERS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Isupervisor -o $@ tests/fuzz/fuzz_gopcln.c supervisor/gopcln.c

fuzz: $(B)/fuzz/fuzz_config $(B)/fuzz/fuzz_record $(B)/fuzz/fuzz_report_line $(B)/fuzz/fuzz_logframe \
      $(B)/fuzz/fuzz_unwind $(B)/fuzz/fuzz_gopcln
	@for f in config record report_line logframe unwind gopcln; do \
		rm -rf $(B)/fuzz/corpus-$$f && cp -r tests/fuzz/corpus/$$f $(B)/fuzz/corpus-$$f && \
		echo "== fuzz_$$f, $(FUZZ_SECONDS) s" && \
		(cd $(B)/fuzz && ./fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			corpus-$$f >fuzz_$$f.log 2>&1); rc=$$?; \
		grep -E "^(stat::number_of_executed_units|stat::new_units_added|SUMMARY)|Done" $(B)/fuzz/fuzz_$$f.log; \
		[ $$rc = 0 ] || { tail -40 $(B)/fuzz/fuzz_$$f.log; echo "fuzz_$$f FAILED"; exit 1; }; \
	done

# ---- install ---------------------------------------------------------------
# The library in the multiarch directory where the compiler has one
# (Debian: PREFIX/lib/x86_64-linux-gnu/sockshim/libsockshim.so, and the i386
# build beside it in PREFIX/lib/i386-linux-gnu/sockshim/), so that the
# launcher can preload PREFIX/$LIB/sockshim/libsockshim.so and the loader
# picks the build of each program's architecture; PREFIX/lib/sockshim
# elsewhere.
MULTIARCH ?= $(shell $(CC) -print-multiarch 2>/dev/null)
LIBDIR    ?= $(PREFIX)/lib$(if $(MULTIARCH),/$(MULTIARCH))
LIBDIR32  := $(PREFIX)/lib/i386-linux-gnu
INSTALL_LIB32 := $(if $(and $(filter x86_64-linux-gnu,$(MULTIARCH)),$(wildcard $(LIB32))),yes)
DOCDIR    := $(PREFIX)/share/doc/sockshim
EXAMPLES  := $(sort $(wildcard examples/*/*))

install: all
	install -d $(DESTDIR)$(LIBDIR)/sockshim $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(PREFIX)/include/sockshim
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0644 $(LIB) $(DESTDIR)$(LIBDIR)/sockshim/libsockshim.so
	$(if $(INSTALL_LIB32),install -d $(DESTDIR)$(LIBDIR32)/sockshim && \
		install -m 0644 $(LIB32) $(DESTDIR)$(LIBDIR32)/sockshim/libsockshim.so)
	# pkg-config: where the library is (`pkg-config --variable=preload
	# sockshim`) and the header's directory; nothing to link against.
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		tools/sockshim.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/sockshim.pc
	chmod 0644 $(DESTDIR)$(LIBDIR)/pkgconfig/sockshim.pc
	sed 's|^VERSION=.*|VERSION=$(VERSION)|' tools/sockshim >$(DESTDIR)$(PREFIX)/bin/sockshim
	chmod 0755 $(DESTDIR)$(PREFIX)/bin/sockshim
	install -m 0644 tools/sockshim.1 tools/report/sockshim-report.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	sed 's|^#ifndef SHIM_VERSION$$|#define SHIM_VERSION "$(VERSION)"\n#ifndef SHIM_VERSION|' \
		include/sockshim.h >$(DESTDIR)$(PREFIX)/include/sockshim/sockshim.h
	chmod 0644 $(DESTDIR)$(PREFIX)/include/sockshim/sockshim.h
	install -d $(DESTDIR)$(DOCDIR)
	install -m 0644 README.md LICENSE $(DESTDIR)$(DOCDIR)/
	for f in $(EXAMPLES); do \
		install -d $(DESTDIR)$(DOCDIR)/$$(dirname $$f) && \
		install -m 0644 $$f $(DESTDIR)$(DOCDIR)/$$f || exit 1; \
	done

# Removes what `make install` put there (same PREFIX, DESTDIR), and the
# directories it made that are left empty.
uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/sockshim/libsockshim.so $(DESTDIR)$(LIBDIR32)/sockshim/libsockshim.so \
		$(DESTDIR)$(LIBDIR)/pkgconfig/sockshim.pc \
		$(DESTDIR)$(PREFIX)/bin/sockshim $(DESTDIR)$(PREFIX)/bin/sockshim-report \
		$(DESTDIR)$(PREFIX)/lib/sockshim/sockshim-supervise \
		$(DESTDIR)$(PREFIX)/share/man/man1/sockshim.1 $(DESTDIR)$(PREFIX)/share/man/man1/sockshim-report.1 \
		$(DESTDIR)$(PREFIX)/include/sockshim/sockshim.h \
		$(DESTDIR)$(DOCDIR)/README.md $(DESTDIR)$(DOCDIR)/LICENSE $(addprefix $(DESTDIR)$(DOCDIR)/,$(EXAMPLES))
	-rmdir $(DESTDIR)$(LIBDIR)/sockshim $(DESTDIR)$(LIBDIR32)/sockshim $(DESTDIR)$(PREFIX)/include/sockshim \
		$(DESTDIR)$(PREFIX)/lib/sockshim \
		$(addprefix $(DESTDIR)$(DOCDIR)/,$(sort $(dir $(EXAMPLES)))) $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(DOCDIR) 2>/dev/null
	-rmdir $(DESTDIR)$(LIBDIR)/pkgconfig 2>/dev/null

# ---- the Debian packages ---------------------------------------------------
# `make deb`: the source package and the binary packages (libsockshim, the
# library, Multi-Arch: same; sockshim, the tools) with dpkg-buildpackage,
# from a copy of the tree in build/deb/ (so that neither this build tree nor
# the directory above is touched), then lintian.  DEB_BUILD_OPTIONS=nocheck
# leaves out the core suite that debian/rules runs.
DEB_DIR := $(B)/deb
deb:
	@command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null && command -v lintian >/dev/null || \
		{ echo "sockshim: make deb needs: apt-get install -y $(DEB_PACKAGE)" >&2; exit 1; }
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/sockshim-$(VERSION)
	tar --exclude=./build --exclude=./.git -cf - . | tar -xf - -C $(DEB_DIR)/sockshim-$(VERSION)
	cd $(DEB_DIR)/sockshim-$(VERSION) && dpkg-buildpackage -us -uc >../build.log 2>&1 || \
		{ tail -40 ../build.log; echo "sockshim: dpkg-buildpackage failed (all of it in $(DEB_DIR)/build.log)" >&2; exit 1; }
	lintian --fail-on error,warning $(DEB_DIR)/*.changes
	@ls $(DEB_DIR)/*.deb $(DEB_DIR)/*.dsc

# `make deps`: as root, installs the Debian packages; otherwise prints the
# command to run.
deps:
	@if [ "$$(id -u)" = 0 ]; then \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(DEB_ALL) \
		|| { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(DEB_ALL); }; \
	else \
		echo "run as root:  apt-get install -y $(DEB_ALL)"; \
	fi

clean:
	rm -rf $(B)

# ---- sockshim-report: the log report tool --------------------------------
# One file per concern in tools/report/ (README "Reading the logs"): reads
# gzip files with zlib, builds its report with jansson and names the frames
# of backtraces with libdw (elfutils).  Part of `all`, as the contract's
# `make` builds the library and the tools (a new user's `make` left the
# report unbuilt, regress_make_builds_tools).
DEB_TOOLS := libjansson-dev libdw-dev libelf-dev zlib1g-dev
DEB_ALL   += $(DEB_TOOLS)
REPORT    := $(B)/sockshim-report
REPORT_SRCS     := $(sort $(wildcard tools/report/*.c))
REPORT_HEADERS  := $(wildcard tools/report/*.h) include/sockshim.h
REPORT_OBJS     := $(REPORT_SRCS:tools/report/%.c=$(B)/report/%.o)
REPORT_LIB_OBJS := $(filter-out $(B)/report/main.o,$(REPORT_OBJS))
REPORT_LIBS     := -ljansson -ldw -lelf -lz -lpthread

$(B)/report:
	mkdir -p $@

$(B)/report/%.o: tools/report/%.c $(REPORT_HEADERS) | $(B)/report
	$(CC) $(CFLAGS) -Itools/report -c $< -o $@

$(REPORT): $(REPORT_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(REPORT_OBJS) $(REPORT_LIBS)

all: $(REPORT)

# The report's unit tests (tests/unit/test_report_*.c) link every module of
# the report but its main.
$(B)/tests/test_report_%: tests/unit/test_report_%.c $(REPORT_HEADERS) $(REPORT_LIB_OBJS) | $(B)/tests
	$(CC) $(CFLAGS) -Itools/report -o $@ $< $(REPORT_LIB_OBJS) -lcmocka $(REPORT_LIBS)

# ---- sockshim-supervise: the supervisor (sockshim --supervise) ----------
# Programs no preload reaches (static binaries, static Go): seccomp user
# notification (libseccomp), pidfd_getfd, backtraces with libdw.  It links
# the library's record, event and log modules (compiled once, in build/shim)
# so that its records are the library's.
DEB_BUILD += libseccomp-dev
DEB_ALL   += libseccomp-dev
SV_SRCS    := $(sort $(wildcard supervisor/*.c))
SV_OBJS    := $(SV_SRCS:supervisor/%.c=$(B)/supervisor/%.o)
# event.o and what it stands on (as its unit test links it)
SV_SHIM    := $(UNIT_event)
SV_LIBS    := -lseccomp -ldw -lelf -ldl -lpthread

$(B)/supervisor:
	mkdir -p $@

$(B)/supervisor/%.o: supervisor/%.c supervisor/supervisor.h $(HEADERS) | $(B)/supervisor
	$(CC) $(CFLAGS) -Isupervisor -c $< -o $@

$(SUPERVISOR): $(SV_OBJS) $(foreach m,$(SV_SHIM),$(B)/shim/$(m).o)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(SV_LIBS)

all: $(SUPERVISOR)

# The supervisor's unit tests (tests/unit/test_supervisor_*.c) link its
# modules but its main, and what those stand on.
SV_LIB_OBJS := $(filter-out $(B)/supervisor/main.o,$(SV_OBJS))
$(B)/tests/test_supervisor_%: tests/unit/test_supervisor_%.c supervisor/supervisor.h $(HEADERS) \
		$(SV_LIB_OBJS) $(foreach m,$(SV_SHIM),$(B)/shim/$(m).o) | $(B)/tests
	$(CC) $(CFLAGS) -Isupervisor -o $@ $< $(SV_LIB_OBJS) $(foreach m,$(SV_SHIM),$(B)/shim/$(m).o) \
		-lcmocka $(SV_LIBS)

.PHONY: install-supervisor
install: install-supervisor
install-supervisor: $(SUPERVISOR)
	install -d $(DESTDIR)$(PREFIX)/lib/sockshim
	install -m 0755 $(SUPERVISOR) $(DESTDIR)$(PREFIX)/lib/sockshim/sockshim-supervise

.PHONY: install-report
install: install-report
install-report: $(REPORT)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(REPORT) $(DESTDIR)$(PREFIX)/bin/sockshim-report
