// Command gofloor is floor.c written the way the design asks loadgen
// to work: one goroutine per connection, reading through the Go runtime's
// network poller. It does nothing but receive (no HTTP client, no JSON, no
// statistics), so the gap between its CPU and floor.c's is the price of
// that design in the runtime, and the gap between loadgen's and its own is
// what loadgen does per chunk on top.
//
//	gofloor HOST:PORT CONC REQUESTS OUTPUT_LEN
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gofloor:", err)
		os.Exit(1)
	}
}

// bodyEnd is the empty last chunk of a chunked HTTP/1.1 body.
var bodyEnd = []byte("\r\n0\r\n\r\n")

func run(args []string) error {
	if len(args) != 4 {
		return errors.New("usage: gofloor HOST:PORT CONC REQUESTS OUTPUT_LEN")
	}
	var n [3]int
	for i, a := range args[1:] {
		v, err := strconv.Atoi(a)
		if err != nil || v <= 0 {
			return fmt.Errorf("%q: expected a positive integer", a)
		}
		n[i] = v
	}
	conc, total, outLen := n[0], n[1], n[2]
	body := fmt.Sprintf(`{"model":"sim","prompt":%q,"temperature":0.0,"best_of":1,"max_tokens":%d,"logprobs":null,`+
		`"stream":true,"stream_options":{"include_usage":true},"ignore_eos":true}`, strings.Repeat("word ", 239), outLen)
	req := []byte(fmt.Sprintf("POST /v1/completions HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\n\r\n%s", args[0], len(body), body))

	var next, events atomic.Int64
	errs := make(chan error, conc)
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := stream(args[0], req, total, &next, &events); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return err
	}
	user := float64(ru.Utime.Sec) + float64(ru.Utime.Usec)/1e6
	sys := float64(ru.Stime.Sec) + float64(ru.Stime.Usec)/1e6
	tokens := float64(total * outLen)
	fmt.Printf("streamed=%.0f events=%d cpu=%.2fs (user %.2f sys %.2f)  cpu/Mtok=%.2fs\n",
		tokens, events.Load(), user+sys, user, sys, (user+sys)/tokens*1e6)
	return nil
}

// stream sends requests on one keep-alive connection until total have been
// taken, reading each response to its end.
func stream(addr string, req []byte, total int, next, events *atomic.Int64) error {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	buf := make([]byte, 64<<10)
	tail := make([]byte, 0, 2*len(bodyEnd))
	for next.Add(1) <= int64(total) {
		if _, err := conn.Write(req); err != nil {
			return err
		}
		tail = tail[:0]
		for {
			n, err := conn.Read(buf)
			if err != nil {
				if err == io.EOF {
					err = errors.New("the server closed a connection mid-response")
				}
				return err
			}
			events.Add(int64(bytes.Count(buf[:n], []byte("data: "))))
			tail = append(tail, buf[max(0, n-len(bodyEnd)):n]...)
			tail = tail[max(0, len(tail)-len(bodyEnd)):]
			if bytes.Equal(tail, bodyEnd) {
				break
			}
		}
	}
	return nil
}
