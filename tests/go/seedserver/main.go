// The seed of the project, in Go: a server that reads only the first line
// of each request, answers with a large body and closes, leaving the rest
// of the request unread; the kernel resets the connection.
//
//	seedserver PORT ANSWER_BYTES CLIENTS
package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
)

//go:noinline
func answerAndClose(c net.Conn, answer []byte) {
	line := make([]byte, 128)
	if _, err := c.Read(line); err != nil {
		fmt.Fprintln(os.Stderr, "read:", err)
		os.Exit(2)
	}
	if _, err := c.Write(answer); err != nil {
		fmt.Fprintln(os.Stderr, "write:", err)
	}
	c.Close()
}

func main() {
	if len(os.Args) != 4 {
		os.Exit(2)
	}
	size, _ := strconv.Atoi(os.Args[2])
	clients, _ := strconv.Atoi(os.Args[3])
	l, err := net.Listen("tcp", "127.0.0.1:"+os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(2)
	}
	answer := make([]byte, size)
	for i := range answer {
		answer[i] = 'a'
	}
	for i := 0; i < clients; i++ {
		c, err := l.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "accept:", err)
			os.Exit(2)
		}
		answerAndClose(c, answer)
	}
	l.Close()
}
