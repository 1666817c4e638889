// Bench-only floor for bench:proxy --floor: the Go standard library's reverse proxy and nothing
// else (no session, no logging, no metrics), built with the Go that builds oauth2-proxy. It shows
// what one HTTP hop in Go costs per request on this machine, with the upstream transport as
// oauth2-proxy configures it (a clone of http.DefaultTransport: 2 idle connections per host) or
// with BK_IDLE_PER_HOST idle connections kept.
package main

import (
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
)

func main() {
	target, err := url.Parse(os.Getenv("BK_UPSTREAM"))
	if err != nil || target.Host == "" {
		log.Fatalf("BK_UPSTREAM=%q: give the upstream URL, e.g. http://127.0.0.1:7007", os.Getenv("BK_UPSTREAM"))
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	if n, _ := strconv.Atoi(os.Getenv("BK_IDLE_PER_HOST")); n > 0 {
		t.MaxIdleConnsPerHost = n
	}
	p := httputil.NewSingleHostReverseProxy(target)
	p.Transport = t
	log.Fatal(http.ListenAndServe(os.Getenv("BK_LISTEN"), p))
}
