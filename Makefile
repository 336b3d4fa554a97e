# sockshim.  `make` builds build/libsockshim.so; `make check` runs every test;
# `make deps` installs what the build and the tests need (Debian 12).

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
# WERROR=1: warnings are errors (CI).  SAN=address,undefined or SAN=thread:
# build the library and the tests with those sanitizers.
WERROR  ?= 0
SAN     ?=

B := build

# One build directory, rebuilt when the flavour (SAN=...) changes, so that
# every path (the launcher's ../build included) stays the same.
comma := ,
FLAVOR := $(if $(SAN),san-$(subst $(comma),-,$(SAN)),plain)
ifneq ($(FLAVOR),$(shell cat $(B)/.flavor 2>/dev/null))
$(shell rm -rf $(B)/shim $(B)/progs $(B)/tests $(B)/report $(B)/*.so $(B)/bench $(B)/sockshim-report; \
	mkdir -p $(B) && echo $(FLAVOR) > $(B)/.flavor)
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wpointer-arith -Wformat=2 -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARN += -Werror
endif
SANFLAGS := $(if $(SAN),-fsanitize=$(SAN) -fno-omit-frame-pointer,)

BASE_CFLAGS := -std=gnu11 -O2 -g -Iinclude $(WARN) $(SANFLAGS)
override CFLAGS := $(BASE_CFLAGS) $(CFLAGS)
# libunwind is dlopen'ed by its soname (see shim/backtrace.c).
UNWIND_SONAME := $(or $(shell objdump -p $$($(CC) -print-file-name=libunwind.so) 2>/dev/null | sed -n 's/^ *SONAME *//p'),libunwind.so.8)
SHIM_CFLAGS := $(CFLAGS) -fPIC -fvisibility=hidden -ftls-model=initial-exec \
               -DUNWIND_SONAME='"$(UNWIND_SONAME)"' 
SHIM_LDFLAGS := -shared -Wl,--version-script=shim/libsockshim.map \
                -Wl,-z,relro,-z,now -Wl,--no-undefined $(SANFLAGS)
SHIM_LIBS := -ldl -lpthread

SHIM_SRCS := $(sort $(wildcard shim/*.c))
# vfork needs assembly; x86_64 only (elsewhere vfork is not interposed).
SHIM_ASM  := $(if $(filter x86_64,$(shell uname -m)),$(wildcard shim/*.S))
SHIM_OBJS := $(SHIM_SRCS:shim/%.c=$(B)/shim/%.o) $(SHIM_ASM:shim/%.S=$(B)/shim/%.o)
HEADERS   := $(wildcard include/*.h)

LIB := $(B)/libsockshim.so

# Debian packages: what the library needs to build, and what the tests use.
DEB_BUILD := make gcc libc6-dev pkg-config libunwind-dev
DEB_TEST  := libcmocka-dev libjansson-dev socat curl python3 procps iproute2 strace valgrind \
             nginx-light redis-server wrk golang-go haproxy lighttpd memcached jq time \
             logrotate systemd rsyslog \
             nodejs default-jdk-headless ruby php-cli rustc postgresql dnsmasq-base
# the fuzzers (clang's libFuzzer) and ThreadSanitizer's runtime
DEB_CHECK := clang libclang-rt-14-dev libtsan2 libasan8 libubsan1
DEB_ALL   := $(DEB_BUILD) $(DEB_TEST) $(DEB_CHECK)

.PHONY: all check unit integration bench bench-report demo fuzz install deps clean check-build-deps check-test-deps
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

$(LIB): $(SHIM_OBJS) shim/libsockshim.map
	$(CC) $(SHIM_LDFLAGS) -o $@ $(SHIM_OBJS) $(SHIM_LIBS)

$(B)/shim $(B)/tests $(B)/progs:
	mkdir -p $@

# ---- tests ---------------------------------------------------------------
# Unit tests link the logic modules directly; each tests/unit/test_X.c names
# the modules it needs in UNIT_X.
UNIT_config := config
UNIT_fdtab  := fdtab
UNIT_record := record
# event.o and what it stands on: the call scope, backtraces, the log.
UNIT_event  := event record backtrace call close_history fdtab log logframe privfd config proc ratelimit
# the framing of records for syslog and journald: pure functions
UNIT_log_framing := logframe record
# the close decisions stand on the table alone
UNIT_fdend  := fdend fdtab config
UNIT_ratelimit := ratelimit
# the fork tree's reference counts: the table and its shared memory
UNIT_sharecount := sharecount fdtab config
UNIT_TESTS  := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c))

$(B)/tests/test_%: tests/unit/test_%.c $(HEADERS) $(SHIM_OBJS) | $(B)/tests
	$(CC) $(CFLAGS) -rdynamic -o $@ $< $(foreach m,$(UNIT_$*),$(B)/shim/$(m).o) \
		-lcmocka -ljansson -ldl -lpthread


# Programs that integration tests run under the shim.  -rdynamic puts their
# function names in the dynamic symbol table, where backtraces find them.
PROG_SRCS := $(wildcard tests/progs/*.c)
PROGS     := $(PROG_SRCS:tests/progs/%.c=$(B)/progs/%)
$(B)/progs/%: tests/progs/%.c tests/progs/progs.h | $(B)/progs
	$(CC) $(CFLAGS) -Wno-missing-prototypes -O0 -rdynamic -pthread -o $@ $<

# A statically linked program: the launcher must refuse it.
$(B)/progs/static_hello: tests/progs/show_env.c tests/progs/progs.h | $(B)/progs
	$(CC) $(filter-out -fsanitize=%,$(CFLAGS)) -Wno-missing-prototypes -static -o $@ $<
PROGS += $(B)/progs/static_hello

# Other preloaded libraries, to stack the shim with.
PRELOAD_SRCS := $(wildcard tests/preload/*.c)
PRELOADS     := $(PRELOAD_SRCS:tests/preload/%.c=$(B)/progs/%.so)
$(B)/progs/%.so: tests/preload/%.c | $(B)/progs
	$(CC) $(CFLAGS) -fPIC -shared -o $@ $< -ldl

unit: check-test-deps $(UNIT_TESTS)
	@tests/run-unit $(UNIT_TESTS)

integration: all $(PROGS) $(PRELOADS) $(B)/sockshim-report
	@tests/run-integration

check: check-build-deps check-test-deps $(LIB) $(UNIT_TESTS) $(PROGS) $(PRELOADS) $(B)/sockshim-report
	@tests/run-unit $(UNIT_TESTS)
	@tests/run-integration

$(B)/bench: tools/bench.c | $(B)/shim
	$(CC) $(CFLAGS) -pthread -o $@ $<

bench: all $(B)/bench $(B)/progs/flood $(B)/sockshim-report
	@tools/bench

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
FUZZ_FLAGS   := -g -O1 -Iinclude -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
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

fuzz: $(B)/fuzz/fuzz_config $(B)/fuzz/fuzz_record $(B)/fuzz/fuzz_report_line $(B)/fuzz/fuzz_logframe
	@for f in config record report_line logframe; do \
		rm -rf $(B)/fuzz/corpus-$$f && cp -r tests/fuzz/corpus/$$f $(B)/fuzz/corpus-$$f && \
		echo "== fuzz_$$f, $(FUZZ_SECONDS) s" && \
		(cd $(B)/fuzz && ./fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			corpus-$$f >fuzz_$$f.log 2>&1); rc=$$?; \
		grep -E "^(stat::number_of_executed_units|stat::new_units_added|SUMMARY)|Done" $(B)/fuzz/fuzz_$$f.log; \
		[ $$rc = 0 ] || { tail -40 $(B)/fuzz/fuzz_$$f.log; echo "fuzz_$$f FAILED"; exit 1; }; \
	done

# ---- install -------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(PREFIX)/lib/sockshim $(DESTDIR)$(PREFIX)/include/sockshim
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(LIB) $(DESTDIR)$(PREFIX)/lib/sockshim/libsockshim.so
	install -m 0755 tools/sockshim $(DESTDIR)$(PREFIX)/bin/sockshim
	install -m 0644 tools/sockshim.1 $(DESTDIR)$(PREFIX)/share/man/man1/sockshim.1
	install -m 0644 include/sockshim.h $(DESTDIR)$(PREFIX)/include/sockshim/sockshim.h
	for d in logrotate systemd rsyslog; do \
		install -d $(DESTDIR)$(PREFIX)/share/doc/sockshim/examples/$$d && \
		install -m 0644 examples/$$d/* $(DESTDIR)$(PREFIX)/share/doc/sockshim/examples/$$d/ || exit 1; \
	done

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
# of backtraces with libdw (elfutils).  Not part of `all`: the library alone
# needs none of them.  `check` and `integration` build it
# (tests/integration/report*.sh run it).
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
	$(CC) $(CFLAGS) -o $@ $(REPORT_OBJS) $(REPORT_LIBS)

# The report's unit tests (tests/unit/test_report_*.c) link every module of
# the report but its main.
$(B)/tests/test_report_%: tests/unit/test_report_%.c $(REPORT_HEADERS) $(REPORT_LIB_OBJS) | $(B)/tests
	$(CC) $(CFLAGS) -Itools/report -o $@ $< $(REPORT_LIB_OBJS) -lcmocka $(REPORT_LIBS)

.PHONY: install-report
install: install-report
install-report: $(REPORT)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(REPORT) $(DESTDIR)$(PREFIX)/bin/sockshim-report
