// A net/http server as tests/integration/regress_supervise_go_stripped_deep.sh
// builds it (CGO_ENABLED=0, -ldflags="-s -w"), the shape of a helper's
// sweep's: its handler leaves the request's body unread, so that net/http
// closes each connection with data unread after the answer, a reset
// (close_rst) whose backtrace goes through net/http.(*conn).serve.
//
//	unreadbody PORT: serves until killed
package main

import (
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	http.ListenAndServe("127.0.0.1:"+os.Args[1], nil)
}
