// Connection churn in Go, for make bench: N loopback connections, each a
// 64-byte request and answer, server closing first; prints nanoseconds per
// connection.
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"
)

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() {
		buf := make([]byte, 64)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			io.ReadFull(c, buf)
			c.Write(buf)
			c.Close()
		}
	}()
	msg := make([]byte, 64)
	start := time.Now()
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			panic(err)
		}
		c.Write(msg)
		io.ReadAll(c)
		c.Close()
	}
	fmt.Printf("%.1f\n", float64(time.Since(start).Nanoseconds())/float64(n))
}
