// The client of seedserver: sends a request of REQUEST_BYTES, reads the
// answer to its end and says how it ended.
//
//	seedclient PORT REQUEST_BYTES
package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
)

func main() {
	size, _ := strconv.Atoi(os.Args[2])
	c, err := net.Dial("tcp", "127.0.0.1:"+os.Args[1])
	if err != nil {
		fmt.Println("dial:", err)
		os.Exit(2)
	}
	req := make([]byte, size)
	copy(req, "GET /answer HTTP/1.0\r\n")
	if _, err := c.Write(req); err != nil {
		fmt.Println("write:", err)
	}
	n, err := io.Copy(io.Discard, c)
	switch {
	case err == nil:
		fmt.Printf("received %d bytes, then EOF\n", n)
	case errors.Is(err, syscall.ECONNRESET):
		fmt.Printf("received %d bytes, then connection reset by peer\n", n)
		os.Exit(1)
	default:
		fmt.Printf("received %d bytes, then %v\n", n, err)
		os.Exit(1)
	}
}
