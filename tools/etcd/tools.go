// Pins the etcd build: `go build` of go.etcd.io/etcd/server/v3 (the etcd server binary) at the
// required module version. Built by scripts/lib/tools/ into the tools cache; see README "Tools".

//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
