# The shipped examples (examples/, installed under share/doc/sockshim) are
# valid as they are: the systemd drop-in, shipped and with its commented
# options turned on, passes `systemd-analyze verify` without a word about
# it (a "%p" left unescaped would be a specifier); the rsyslog snippets
# pass rsyslogd's own config check where rsyslogd is installed.  (The
# logrotate stanza is run by log_rotation.sh.)
# group: servers
. "$(dirname "$0")/../lib.sh"
EX=$TOP/examples
checked=""

if command -v systemd-analyze >/dev/null; then
	mkdir -p "$WORK/units/legacy.service.d"
	printf '[Unit]\nDescription=legacy\n[Service]\nExecStart=/bin/true\n' >"$WORK/units/legacy.service"
	for variant in shipped all; do
		if [ $variant = shipped ]; then
			cp "$EX/systemd/sockshim.conf" "$WORK/units/legacy.service.d/sockshim.conf"
		else
			sed 's/^#\([A-Za-z]*=\)/\1/' "$EX/systemd/sockshim.conf" >"$WORK/units/legacy.service.d/sockshim.conf"
			grep -q '^Environment=SOCKSHIM_LOG=/var/log/sockshim/%%p.jsonl' "$WORK/units/legacy.service.d/sockshim.conf" ||
				fail "the drop-in's file option is not as expected"
		fi
		SYSTEMD_UNIT_PATH="$WORK/units:" systemd-analyze verify legacy.service >"$WORK/verify" 2>&1 ||
			{ cat "$WORK/verify"; fail "systemd-analyze verify: exit $?"; }
		if grep -i sockshim "$WORK/verify"; then fail "systemd-analyze: the drop-in ($variant)"; fi
	done
	checked="$checked systemd"
fi

if command -v rsyslogd >/dev/null; then
	mkdir -p "$WORK/spool"
	for f in sockshim-forward sockshim-collector; do
		printf 'global(workDirectory="%s")\n$IncludeConfig %s\n' "$WORK/spool" "$EX/rsyslog/$f.conf" >"$WORK/$f.conf"
		rsyslogd -N1 -f "$WORK/$f.conf" >"$WORK/$f.out" 2>&1 || { cat "$WORK/$f.out"; fail "rsyslogd -N1: $f"; }
	done
	checked="$checked rsyslog"
fi
[ -n "$checked" ] || skip "neither systemd-analyze nor rsyslogd here"
note "valid:$checked"
