// probe: the cluster tier's test workload, a static Go program (standard library only) that the
// tier builds into a FROM-scratch image and loads into the kind node (never pulled).
//
//	probe serve [addr]           HTTP server (default :8080): GET / answers "probe <hostname>"
//	probe get <url> [timeout] [tries]
//	                             fetches url (tries times, 1 s apart, until one succeeds); exit 0 and
//	                             the body on HTTP 200, exit 1 otherwise
//	probe lookup <name>          resolves name; exit 0 and the addresses, exit 1 otherwise
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: probe serve [addr] | get <url> [timeout] [tries] | lookup <name>")
	}
	switch os.Args[1] {
	case "serve":
		addr := ":8080"
		if len(os.Args) > 2 {
			addr = os.Args[2]
		}
		host, _ := os.Hostname()
		http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "probe %s\n", host)
		})
		fmt.Printf("serving on %s\n", addr)
		fail(http.ListenAndServe(addr, nil).Error())
	case "get":
		if len(os.Args) < 3 {
			fail("usage: probe get <url> [timeout] [tries]")
		}
		timeout := 5 * time.Second
		if len(os.Args) > 3 {
			d, err := time.ParseDuration(os.Args[3])
			if err != nil {
				fail(err.Error())
			}
			timeout = d
		}
		tries := 1
		if len(os.Args) > 4 {
			if _, err := fmt.Sscan(os.Args[4], &tries); err != nil || tries < 1 {
				fail("tries must be a positive number")
			}
		}
		client := &http.Client{Timeout: timeout}
		var last string
		for i := 0; i < tries; i++ {
			if i > 0 {
				time.Sleep(time.Second)
			}
			res, err := client.Get(os.Args[2])
			if err != nil {
				last = err.Error()
				fmt.Fprintf(os.Stderr, "attempt %d: %s\n", i+1, last)
				continue
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				fmt.Print(string(body))
				return
			}
			last = fmt.Sprintf("HTTP %d", res.StatusCode)
		}
		fail(last)
	case "lookup":
		if len(os.Args) < 3 {
			fail("usage: probe lookup <name>")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		addrs, err := net.DefaultResolver.LookupHost(ctx, os.Args[2])
		if err != nil {
			fail(err.Error())
		}
		fmt.Println(strings.Join(addrs, " "))
	default:
		fail("unknown command " + os.Args[1])
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "probe:", msg)
	os.Exit(1)
}
