// A child that makes and closes sockets, then says ok: exec'd by execer,
// built both statically (CGO_ENABLED=0) and dynamically.
package main

import (
	"fmt"
	"net"
)

func main() {
	for i := 0; i < 20; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			panic(err)
		}
		c.Close()
		l.Close()
	}
	fmt.Println("child ok")
}
