# A real server and client nobody here wrote: python3 -m http.server never
# reads a request body, so curl's GET with 1 MiB of body for an 8 MB file,
# read at 10 MB/s, loses the tail ("Connection reset by peer", exit 56)
# without the shim; under SOCKSHIM_GRACEFUL=1 curl gets the whole file and
# exits 0, in both linger modes.
. "$(dirname "$0")/../lib.sh"
command -v curl >/dev/null || skip "curl is not installed"

mkdir "$WORK/www"
head -c 8000000 /dev/urandom >"$WORK/www/big"
head -c 1048576 /dev/zero >"$WORK/body"

fetch() { # port n: n GETs with a body; prints the exit statuses
	for i in $(seq "$2"); do
		rm -f "$WORK/got"
		curl -sS -o "$WORK/got" --limit-rate 10M -X GET -H 'Expect:' --data-binary @"$WORK/body" \
			"http://127.0.0.1:$1/big" 2>>"$WORK/curl.err"
		rc=$?
		[ $rc = 0 ] && ! cmp -s "$WORK/got" "$WORK/www/big" && rc=bad-content
		printf '%s ' "$rc"
	done
}

server() { # env...: starts http.server under the shim with the variables
	port=$(free_port)
	(cd "$WORK/www" && exec env "$@" python3 -m http.server --bind 127.0.0.1 "$port") >/dev/null 2>&1 &
	BG_PID=$!
	BG_PIDS="$BG_PIDS $BG_PID"
	wait_listen "$port"
}

server
bare=$(fetch "$port" 3)
bg_stop "$BG_PID"
case "$bare" in *56*) ;; *) fail "bare: no reset in 3 tries ($bare): cannot show the problem here" ;; esac
note "bare:  curl exit statuses $bare"
for mode in async sync; do
	server SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MODE=$mode LD_PRELOAD="$PRELOAD"
	got=$(fetch "$port" 3)
	bg_stop "$BG_PID"
	[ "$got" = "0 0 0 " ] || { cat "$WORK/curl.err"; fail "$mode: curl exit statuses $got"; }
	note "$mode: curl exit statuses $got, every file complete"
done
