#!/bin/sh
# Regression: two threads of a supervised program call exit_group with
# different statuses, the second while the first waits for the supervisor
# (nats-server on SIGTERM: its signal goroutine calls os.Exit(1) after the
# server's shutdown, and main, woken by that shutdown, returns: exit 0).
# Bare, the first exit_group ends the process before the second comes:
# status 1, always.  The supervisor let the second through right after the
# first, the two threads then raced in the kernel, and the status was 0 in
# 1 run in 4 (nats-server: 1 in 6 SIGTERMs exited 0; found by a helper's
# sweep with Debian's Go servers).  Now a process's later exit_group is
# left unanswered once one was let through: the first one's exit ends it.
#
# Before: "exit statuses 1101...: not the first exit_group's (1) in every run".
# (The run's status says whether the first thread was inside its
# exit_group when the second came: 5 if not, and the run says nothing; a
# busy CPU had made 1 in 40 runs fail here with that order not known.)
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor's tests run outside the sanitizer flavours"
SV="$B/sockshim-supervise"
P="$PROGS/exit_status_race"
[ -x "$SV" ] || fail "build/sockshim-supervise is missing"
[ -x "$P" ] || fail "build/progs/exit_status_race is missing"
bare=""
got=""
# (how long the first exit_group waits, and when the second comes, vary
# with the sockets left open and the delay: several of each)
for args in "20 30" "50 50" "100 60" "100 150" "20 30" "50 50" "100 60" "100 150"; do
	for _ in 1 2 3 4 5; do
		# shellcheck disable=SC2086
		"$P" $args
		bare="$bare$?"
		# shellcheck disable=SC2086
		SOCKSHIM_LOG="$WORK/sv.log" timeout 10 "$SV" -- "$P" $args
		got="$got$?"
	done
done
# 5: a run where the first thread was not inside its exit_group yet when
# the main thread made its own (held off the CPU on a loaded machine: bare
# too, now and then): which came first is not known, and either status is
# right.  0: the main thread's exit_group won while the first one was
# already being made, which bare never does.
case $bare in *[!15]*) skip "bare, the first exit_group did not always win here: $bare" ;; esac
case $got in *[!15]*) fail "exit statuses $got: not the first exit_group's (1) in every run where it came first" ;; esac
known=$(printf %s "$got" | tr -cd 1 | wc -c)
[ "$known" -ge 20 ] || skip "only $known of 40 runs had the first exit_group made before the second here: $got"
note "40 runs: the first exit_group's status (1) in each of the $known where it came first, as bare ($got)"
