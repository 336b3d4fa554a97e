// Hundreds of goroutines making connections to a server in the same
// program, with GOMAXPROCS above 2; then Go's own signal handling: a SIGSYS
// sent to the process reaches signal.Notify.  Prints a summary that is the
// same with and without raw mode.
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"
)

func main() {
	runtime.GOMAXPROCS(4)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				io.Copy(c, c) // echo until the client's EOF
				c.Close()
			}(c)
		}
	}()
	const workers, rounds = 200, 5
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				c, err := net.Dial("tcp", l.Addr().String())
				if err != nil {
					continue
				}
				msg := fmt.Sprintf("worker %d round %d", w, r)
				c.Write([]byte(msg))
				c.(*net.TCPConn).CloseWrite()
				got, _ := io.ReadAll(c)
				c.Close()
				if string(got) == msg {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}
		}(w)
	}
	wg.Wait()
	l.Close()
	fmt.Printf("echoes %d of %d\n", ok, workers*rounds)

	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGSYS)
	syscall.Kill(os.Getpid(), syscall.SIGSYS)
	select {
	case s := <-ch:
		fmt.Println("signal:", s)
	case <-time.After(5 * time.Second):
		fmt.Println("signal: none")
	}
}
