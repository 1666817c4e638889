// Pins the oauth2-proxy build: `go build` of the main package of the required module version.
// Built by scripts/lib/tools/ into the tools cache; see README "Tools".

//go:build tools

package tools

import _ "github.com/oauth2-proxy/oauth2-proxy/v7"
