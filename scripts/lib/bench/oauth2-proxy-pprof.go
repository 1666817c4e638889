// Bench-only: added to oauth2-proxy's package main through `go build -overlay` by
// scripts/lib/bench/pprof.ts (never part of the product build). With BK_PPROF_ADDR set
// (e.g. 127.0.0.1:6060) the binary serves net/http/pprof there; otherwise it is the same program.
package main

import (
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	if addr := os.Getenv("BK_PPROF_ADDR"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
}
