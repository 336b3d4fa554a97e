// twosites PORT N: a server that closes its connections with the request
// unread (a reset each) from two functions of its own, closeA and closeB,
// in turn: two call sites.  Prints "listening" on stderr; exits 0 after N.
package main

import (
	"net"
	"os"
	"strconv"
)

//go:noinline
func closeA(c net.Conn) { c.Close() }

//go:noinline
func closeB(c net.Conn) { c.Close() }

func main() {
	n, _ := strconv.Atoi(os.Args[2])
	l, err := net.Listen("tcp", "127.0.0.1:"+os.Args[1])
	if err != nil {
		os.Exit(2)
	}
	println("listening")
	for i := 0; i < n; i++ {
		c, err := l.Accept()
		if err != nil {
			os.Exit(2)
		}
		b := make([]byte, 1)
		c.Read(b) // the rest of the request left unread
		if i%2 == 0 {
			closeA(c)
		} else {
			closeB(c)
		}
	}
}
