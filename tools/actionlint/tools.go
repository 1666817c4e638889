// Pins the workflow linter: `go build` of rhysd/actionlint's cmd/actionlint at the required module
// version. Built by scripts/lib/tools/ into the tools cache; see tools/README.md.

//go:build tools

package tools

import _ "github.com/rhysd/actionlint/cmd/actionlint"
