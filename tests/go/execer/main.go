// A Go program (run in raw mode) that execs other programs: each argument
// is a program to run, once with the environment as is and once with
// LD_PRELOAD removed; prints what each said.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
)

func main() {
	var bare []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "LD_PRELOAD=") {
			bare = append(bare, e)
		}
	}
	for _, prog := range os.Args[1:] {
		for _, env := range [][]string{os.Environ(), bare} {
			cmd := exec.Command(prog)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			fmt.Printf("%s: %q err=%v\n", prog[strings.LastIndex(prog, "/")+1:], strings.TrimSpace(string(out)), err)
		}
	}
}
