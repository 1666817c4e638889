{{/*
Render-time validation. Each backstage-keycloak.validate.<concern> helper checks one concern and
prints its problems as a JSON list of lines, each naming the value and the fix; the aggregator
backstage-keycloak.validate runs them all and fails the render with every problem at once. The
template validate.yaml runs the aggregator once per render; Helm renders every template on each
install, upgrade, template and lint, so no command renders a broken release.

What is checked: the values oauth2-proxy, Keycloak, Backstage or Kubernetes would reject at run time
(URLs, durations, cookie secret and cookie name, CIDRs, header names, image references, Secret
names), and every escape hatch (global.oauth2Proxy.extraEnv, the sidecar entry of
backstage.backstage.extraContainers, appConfig, extraEnvVars, volumes, probes) that would change a
setting the chart derives and depends on: those are refused with the value to set instead.

Values that reach a YAML document through `tpl` in single quotes (appConfig), the alpha config
(which oauth2-proxy runs through envsubst: "$" is expanded) or a Backstage config value (where
"${...}" is substituted) may not contain quotes, "$" or control characters.
*/}}

{{/*
Runs every check and fails the render with all problems, each naming the value and the fix.
Placeholders of values/values-backstage-keycloak.yaml are reported first, alone.
Usage:  {{- include "backstage-keycloak.validate" . -}}   (in templates/validate.yaml)
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate" -}}
{{- $placeholders := include "backstage-keycloak.validate.placeholders" . | fromJsonArray -}}
{{- if $placeholders -}}
{{- fail (printf "\n\nbackstage-keycloak: fill in the placeholders of values-backstage-keycloak.yaml:\n  - %s\n" (join "\n  - " $placeholders)) -}}
{{- end -}}
{{- $errs := list -}}
{{- range $concern := list "signIn" "modeValues" "host" "keycloak" "credentials" "cookie" "sessionStore" "access" "images" "extraEnv" "sidecar" "backstage" -}}
{{- $errs = concat $errs (include (printf "backstage-keycloak.validate.%s" $concern) $ | fromJsonArray) -}}
{{- end -}}
{{- if $errs -}}
{{- fail (printf "\n\nbackstage-keycloak: invalid values:\n  - %s\n" (join "\n  - " $errs)) -}}
{{- end -}}
{{- end -}}

{{/*
Placeholders "<REQUIRED ...>" of values/values-backstage-keycloak.yaml still in place.
Usage:  {{ include "backstage-keycloak.validate.placeholders" . | fromJsonArray }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate.placeholders" -}}
{{- $errs := list -}}
{{- $g := .Values.global -}}
{{- $k := $g.keycloak -}}
{{- $o := $g.oauth2Proxy -}}
{{- range $path, $v := dict "global.host" $g.host "global.keycloak.issuerUrl" $k.issuerUrl "global.keycloak.clientId" $k.clientId "global.keycloak.clientSecret" $k.clientSecret "global.keycloak.existingSecret" $k.existingSecret "global.oauth2Proxy.cookieSecret" $o.cookieSecret "global.oauth2Proxy.existingSecret" $o.existingSecret "global.keycloak.catalogSync.clientSecret" (($k.catalogSync | default dict).clientSecret) -}}
{{- if hasPrefix "<REQUIRED" (toString $v) -}}
{{- $errs = append $errs (printf "%s still holds the placeholder %q: replace it with your value" $path (toString $v)) -}}
{{- end -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}

{{/*
Problems of an http(s) URL: the form <scheme>://<host>[:<port>][/<path>] that oauth2-proxy,
Backstage and a shell-free `helm test` can all take as it is (no query, fragment, user info,
spaces, quotes, "$" or "{"), a port in 1..65535, and no trailing slash.
Usage:  {{ $errs = concat $errs (include "backstage-keycloak.check.url" (dict "path" "global.keycloak.internalUrl" "value" $v "example" "http://keycloak.keycloak.svc:8080") | fromJsonArray) }}
Params: path     the key of the value, named in the message
        value    the URL
        example  a good value, named in the message
*/}}
{{- define "backstage-keycloak.check.url" -}}
{{- $errs := list -}}
{{- $v := toString .value -}}
{{- $host := `[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*` -}}
{{- $path := `(/([A-Za-z0-9._~!&()*+,;=:@-]|%[0-9A-Fa-f]{2})*)*` -}}
{{- if not (regexMatch (printf "^https?://%s(:[0-9]{1,5})?%s$" $host $path) $v) -}}
{{- $errs = append $errs (printf "%s=%q is not an http(s) URL of the form <scheme>://<host>[:<port>][/<path>] (no query, fragment, spaces, quotes or $): use e.g. %s" .path $v .example) -}}
{{- else -}}
{{- $port := regexFind ":[0-9]+$" (regexFind "^https?://[^/]+" $v | trimPrefix "http://" | trimPrefix "https://") | trimPrefix ":" -}}
{{- if and $port (or (lt (atoi $port) 1) (gt (atoi $port) 65535)) -}}
{{- $errs = append $errs (printf "%s=%q has port %s: use a port from 1 to 65535" .path $v $port) -}}
{{- end -}}
{{- if hasSuffix "/" $v -}}
{{- $errs = append $errs (printf "%s=%q ends with \"/\": remove the trailing slash" .path $v) -}}
{{- end -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}

{{/*
Seconds of a Go duration made of h/m/s parts ("4m", "1h30m", "168h0m0s", "0"); -1 when it is not of
that form or longer than a Go duration holds (about 292 years).
Usage:  {{ include "backstage-keycloak.durationSeconds" "1h30m" | atoi }}
Params: . the duration (a string; the integer 0 is accepted too).
*/}}
{{- define "backstage-keycloak.durationSeconds" -}}
{{- $d := toString . -}}
{{- if eq $d "0" -}}0
{{- else if and $d (regexMatch "^([0-9]{1,10}h)?([0-9]{1,12}m)?([0-9]{1,13}s)?$" $d) -}}
{{- $h := regexFind "[0-9]+h" $d | trimSuffix "h" | default "0" | atoi -}}
{{- $m := regexFind "[0-9]+m" $d | trimSuffix "m" | default "0" | atoi -}}
{{- $s := regexFind "[0-9]+s" $d | trimSuffix "s" | default "0" | atoi -}}
{{- $total := add (mul $h 3600) (mul $m 60) $s -}}
{{- if gt $total 9223372036 -}}-1{{- else -}}{{- $total -}}{{- end -}}
{{- else -}}-1
{{- end -}}
{{- end -}}

{{/*
Whether a string is an IP address or CIDR that oauth2-proxy's trusted-proxy parser accepts (Go's
net.ParseIP / ParseCIDR, and a CIDR's address must be the network address: 10.0.0.0/8, not
10.0.0.1/8). Returns "true" or "".
Usage:  {{ if include "backstage-keycloak.isCidr" "10.0.0.0/8" }}...{{ end }}
Params: . the string.
*/}}
{{- define "backstage-keycloak.isCidr" -}}
{{- $s := toString . -}}
{{- $octet := `(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])` -}}
{{- $v4 := printf `%s\.%s\.%s\.%s` $octet $octet $octet $octet -}}
{{- $addr := regexReplaceAll "/.*$" $s "" -}}
{{- $prefix := ternary (regexReplaceAll "^[^/]*/" $s "") "" (contains "/" $s) -}}
{{- if regexMatch (printf "^%s$" $v4) $addr -}}
{{- if not (contains "/" $s) -}}true
{{- else if regexMatch `^(3[0-2]|[12][0-9]|[0-9])$` $prefix -}}
{{- $n := 0 -}}
{{- range $o := splitList "." $addr -}}{{- $n = add (mul $n 256) (atoi $o) -}}{{- end -}}
{{- $block := 1 -}}
{{- range until (sub 32 (atoi $prefix) | int) -}}{{- $block = mul $block 2 -}}{{- end -}}
{{- if eq (mod $n $block) 0 -}}true{{- end -}}
{{- end -}}
{{- else if and (contains ":" $addr) (regexMatch `^[0-9A-Fa-f:.]+$` $addr) -}}
{{- /* IPv6: at most one "::", groups of 1-4 hex digits, optional trailing IPv4, 8 groups in all */ -}}
{{- $halves := splitList "::" $addr -}}
{{- $tail := last (splitList ":" $addr) -}}
{{- $v4tail := regexMatch (printf "^%s$" $v4) $tail -}}
{{- $groups := list -}}
{{- $ok := le (len $halves) 2 -}}
{{- range $h := $halves -}}
{{- if $h -}}
{{- range $g := splitList ":" $h -}}
{{- if not (or (regexMatch "^[0-9A-Fa-f]{1,4}$" $g) (and $v4tail (eq $g $tail))) -}}{{- $ok = false -}}{{- end -}}
{{- $groups = append $groups $g -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $count := add (len $groups) (ternary 1 0 $v4tail) -}}
{{- if eq (len $halves) 2 -}}{{- $ok = and $ok (le $count 7) -}}{{- else -}}{{- $ok = and $ok (eq $count 8) -}}{{- end -}}
{{- if and $ok (contains "/" $s) -}}
{{- if regexMatch `^(12[0-8]|1[01][0-9]|[1-9]?[0-9])$` $prefix -}}
{{- /* the bits after the prefix must be zero: expand to 32 hex digits and check them */ -}}
{{- $left := ternary (splitList ":" (index $halves 0)) list (ne (index $halves 0) "") -}}
{{- $right := ternary (splitList ":" (last $halves)) list (and (eq (len $halves) 2) (ne (last $halves) "")) -}}
{{- if eq (len $halves) 1 -}}{{- $right = list -}}{{- end -}}
{{- $hex := "" -}}
{{- $all := list -}}
{{- range $g := $left -}}{{- $all = append $all $g -}}{{- end -}}
{{- if eq (len $halves) 2 -}}{{- range until (sub 8 $count | int) -}}{{- $all = append $all "0" -}}{{- end -}}{{- end -}}
{{- range $g := $right -}}{{- $all = append $all $g -}}{{- end -}}
{{- range $g := $all -}}
{{- if regexMatch "[.]" $g -}}
{{- range $o := splitList "." $g -}}{{- $hex = printf "%s%02x" $hex (atoi $o) -}}{{- end -}}
{{- else -}}
{{- $hex = printf "%s%s" $hex (printf "%04s" $g | replace " " "0" | lower) -}}
{{- end -}}
{{- end -}}
{{- $digits := dict "0" 0 "1" 1 "2" 2 "3" 3 "4" 4 "5" 5 "6" 6 "7" 7 "8" 8 "9" 9 "a" 10 "b" 11 "c" 12 "d" 13 "e" 14 "f" 15 -}}
{{- $p := atoi $prefix -}}
{{- range $i := until 32 -}}
{{- $d := get $digits (substr $i (add1 $i | int) $hex) -}}
{{- $start := mul $i 4 -}}
{{- if ge $start $p -}}{{- if ne (int $d) 0 -}}{{- $ok = false -}}{{- end -}}
{{- else if lt $p (add $start 4) -}}
{{- $low := 1 -}}{{- range until (sub (add $start 4) $p | int) -}}{{- $low = mul $low 2 -}}{{- end -}}
{{- if ne (mod (int $d) $low) 0 -}}{{- $ok = false -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- else -}}{{- $ok = false -}}
{{- end -}}
{{- end -}}
{{- if $ok -}}true{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Problems of a list of plain items (groups, roles, email or cookie domains): each a non-empty string
without "," (oauth2-proxy splits its list settings on commas), "$", quotes, or control characters.
Usage:  {{ $errs = concat $errs (include "backstage-keycloak.check.items" (dict "path" "global.keycloak.allowedGroups" "value" $k.allowedGroups "pattern" "" "what" "") | fromJsonArray) }}
Params: path     the key of the list, named in the message
        value    the list
        pattern  a regular expression every item must match ("" for none)
        what     what a good item looks like, named in the message when pattern fails
*/}}
{{- define "backstage-keycloak.check.items" -}}
{{- $errs := list -}}
{{- $path := .path -}}
{{- $pattern := .pattern -}}
{{- $what := .what -}}
{{- range $i, $item := (.value | default list) -}}
{{- $s := toString $item -}}
{{- if not $s -}}
{{- $errs = append $errs (printf "%s[%d] is empty: remove it" $path $i) -}}
{{- else if regexMatch `[,$'"\\\x00-\x1f\x7f]` $s -}}
{{- $errs = append $errs (printf "%s[%d]=%q contains a comma, \"$\", a quote, a backslash or a control character: oauth2-proxy splits list settings on commas and expands \"$\" in its alpha config; give one plain item per entry" $path $i $s) -}}
{{- else if and $pattern (not (regexMatch $pattern $s)) -}}
{{- $errs = append $errs (printf "%s[%d]=%q is not %s" $path $i $s $what) -}}
{{- end -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}

{{/*
Regular expression of an image registry: <host>[:<port>][/<path>], as a container runtime parses it.
Usage:  {{ regexMatch (include "backstage-keycloak.registryPattern" .) $registry }}
Params: . any context (constant).
*/}}
{{- define "backstage-keycloak.registryPattern" -}}
^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$
{{- end -}}

{{/*
Problems of an image reference's parts ([registry/]repository[:tag|@digest]) as a container runtime
parses them, and "latest", which is never pinned.
Usage:  {{ $errs = concat $errs (include "backstage-keycloak.check.image" (dict "path" "tests.image" "image" .Values.tests.image) | fromJsonArray) }}
Params: path   the key of the image map, named in the message
        image  map with registry, repository, tag, digest
*/}}
{{- define "backstage-keycloak.check.image" -}}
{{- $errs := list -}}
{{- $i := .image | default dict -}}
{{- $component := `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*` -}}
{{- if and $i.registry (not (regexMatch (include "backstage-keycloak.registryPattern" .) (toString $i.registry))) -}}
{{- $errs = append $errs (printf "%s.registry=%q is not a registry host: use <host>[:<port>][/<path>], e.g. registry.example.com:5000/mirror" .path (toString $i.registry)) -}}
{{- end -}}
{{- if not (regexMatch (printf `^%s(/%s)*$` $component $component) (toString ($i.repository | default ""))) -}}
{{- $errs = append $errs (printf "%s.repository=%q is not an image repository: lower-case path components such as oauth2-proxy/oauth2-proxy" .path (toString ($i.repository | default ""))) -}}
{{- end -}}
{{- if $i.digest -}}
{{- if not (regexMatch `^sha256:[a-f0-9]{64}$` (toString $i.digest)) -}}
{{- $errs = append $errs (printf "%s.digest=%q is not an image digest: use sha256:<64 hex digits>" .path (toString $i.digest)) -}}
{{- end -}}
{{- else if not (regexMatch `^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$` (toString ($i.tag | default ""))) -}}
{{- $errs = append $errs (printf "%s.tag=%q is not an image tag: use a version such as v7.15.3 (letters, digits, '_', '.', '-')" .path (toString ($i.tag | default ""))) -}}
{{- else if eq (toString $i.tag) "latest" -}}
{{- $errs = append $errs (printf "%s.tag=latest is not a pinned version: give the version to run (or a digest)" .path) -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}

{{/*
Sign-in mode and the ID token header.
Usage:  {{ include "backstage-keycloak.validate.signIn" . | fromJsonArray }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate.signIn" -}}
{{- $errs := list -}}
{{- $mode := include "backstage-keycloak.signInMode" . -}}
{{- if not (has $mode (include "backstage-keycloak.signInModes" . | fromYamlArray)) -}}
{{- $errs = append $errs (printf "global.signIn.mode=%q: use oauth2Proxy (identity headers from oauth2-proxy), verifiedToken (Keycloak ID token forwarded by oauth2-proxy, verified by Backstage), oidc (Backstage's own OpenID Connect sign-in) or oauth2 (Backstage's generic OAuth2 sign-in)" $mode) -}}
{{- end -}}
{{- $header := include "backstage-keycloak.idTokenHeader" . -}}
{{- $reserved := list "authorization" "cookie" "host" "content-length" "content-type" "connection" "transfer-encoding" "x-forwarded-for" "x-forwarded-host" "x-forwarded-proto" "x-forwarded-uri" "x-forwarded-access-token" "x-real-ip" "gap-auth" -}}
{{- range (include "backstage-keycloak.oauth2Proxy.identityHeaders" . | fromYamlArray) -}}{{- $reserved = append $reserved (lower (index . 0)) -}}{{- end -}}
{{- if not (regexMatch "^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$" $header) -}}
{{- $errs = append $errs (printf "global.signIn.idTokenHeader=%q is not a header name: use letters, digits and '-', e.g. x-oidc-id-token" $header) -}}
{{- else if has (lower $header) $reserved -}}
{{- $errs = append $errs (printf "global.signIn.idTokenHeader=%q is a header the proxy or HTTP already uses: pick your own name, e.g. x-oidc-id-token" $header) -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}

{{/*
Values that only make sense in another sign-in mode, refused naming the value, where ignoring them
would change what the user expects (an access restriction, a session lifetime, proxy flags, the
token header, the native session or prompt). The proxy's own plumbing (cookie secret, trusted proxy
IPs, image) is accepted and unused in the native modes, so an install that set only those can
switch modes with `--set global.signIn.mode=...` alone; NOTES list what is unused. Also the session
secret of the native modes: given or existing, not both, and usable.
Usage:  {{ include "backstage-keycloak.validate.modeValues" . | fromJsonArray }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate.modeValues" -}}
{{- $errs := list -}}
{{- $mode := include "backstage-keycloak.signInMode" . -}}
{{- $s := .Values.global.signIn | default dict -}}
{{- $session := $s.session | default dict -}}
{{- $o := .Values.global.oauth2Proxy | default dict -}}
{{- $c := $o.cookie | default dict -}}
{{- if and (ne $mode "verifiedToken") (ne (include "backstage-keycloak.idTokenHeader" .) "x-oidc-id-token") -}}
{{- $errs = append $errs (printf "global.signIn.idTokenHeader=%q is read in global.signIn.mode=verifiedToken only, not %s: remove it (or set the mode)" (include "backstage-keycloak.idTokenHeader" .) $mode) -}}
{{- end -}}
{{- if include "backstage-keycloak.proxyMode" . -}}
{{- if ne (include "backstage-keycloak.prompt" .) "auto" -}}
{{- $errs = append $errs (printf "global.signIn.prompt=%q is sent by the native modes (oidc, oauth2) only, not %s, where oauth2-proxy runs the login: remove it" (include "backstage-keycloak.prompt" .) $mode) -}}
{{- end -}}
{{- range $key, $v := dict "secret" $session.secret "existingSecret" $session.existingSecret -}}
{{- if $v -}}
{{- $errs = append $errs (printf "global.signIn.session.%s is Backstage's session secret of the native modes (oidc, oauth2), unused in %s (oauth2-proxy's cookie secret is global.oauth2Proxy.cookieSecret): remove it" $key $mode) -}}
{{- end -}}
{{- end -}}
{{- else -}}
{{- $ignored := list -}}
{{- if $o.extraEnv -}}{{- $ignored = append $ignored (printf "global.oauth2Proxy.extraEnv (%s)" (keys $o.extraEnv | sortAlpha | join ", ")) -}}{{- end -}}
{{- if ne (toJson ($o.emailDomains | default (list "*"))) (toJson (list "*")) -}}{{- $ignored = append $ignored (printf "global.oauth2Proxy.emailDomains=%s (an access restriction: restrict by global.keycloak.allowedGroups/allowedRoles or in Keycloak instead)" (toJson $o.emailDomains)) -}}{{- end -}}
{{- range $key, $default := dict "refresh" "4m" "expire" "30m" "name" "_oauth2_proxy_backstage" "sameSite" "lax" -}}
{{- if and (hasKey $c $key) (ne (toString (get $c $key)) $default) -}}{{- $ignored = append $ignored (printf "global.oauth2Proxy.cookie.%s=%q" $key (toString (get $c $key))) -}}{{- end -}}
{{- end -}}
{{- if kindIs "bool" $c.secure -}}{{- $ignored = append $ignored (printf "global.oauth2Proxy.cookie.secure=%v" $c.secure) -}}{{- end -}}
{{- if $c.domains -}}{{- $ignored = append $ignored (printf "global.oauth2Proxy.cookie.domains=%s" (toJson $c.domains)) -}}{{- end -}}
{{- range $ignored -}}
{{- $errs = append $errs (printf "%s configures oauth2-proxy, which global.signIn.mode=%s does not run (sessions are Backstage's, bounded by Keycloak's SSO session): remove it, or use a proxy mode" . $mode) -}}
{{- end -}}
{{- $secretName := `^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$` -}}
{{- if and $session.secret $session.existingSecret -}}
{{- $errs = append $errs (printf "global.signIn.session.secret and global.signIn.session.existingSecret=%q are both set: keep one" (toString $session.existingSecret)) -}}
{{- else if $session.secret -}}
{{- $v := toString $session.secret -}}
{{- if or (lt (len $v) 16) (regexMatch `[\x00-\x20"'\\$\x7f]` $v) -}}
{{- $errs = append $errs "global.signIn.session.secret must be at least 16 characters without spaces, quotes, backslashes, \"$\" or control characters: leave it empty to generate 32 random ones" -}}
{{- end -}}
{{- else if and $session.existingSecret (not (regexMatch $secretName (toString $session.existingSecret))) -}}
{{- $errs = append $errs (printf "global.signIn.session.existingSecret=%q is not a Secret name: lower-case letters, digits, '-' and '.'" (toString $session.existingSecret)) -}}
{{- end -}}
{{- if not (regexMatch `^[-._a-zA-Z0-9]+$` (toString ($session.existingSecretKey | default "session-secret"))) -}}
{{- $errs = append $errs (printf "global.signIn.session.existingSecretKey=%q is not a Secret key: letters, digits, '-', '_' and '.'" (toString $session.existingSecretKey)) -}}
{{- end -}}
{{- end -}}
{{- $perm := .Values.global.permissions | default dict -}}
{{- /* Full Keycloak group paths only: a bare name is what a subgroup anywhere can imitate (issue 17). */ -}}
{{- range $i, $g := ($perm.adminGroups | default list) -}}
{{- $s := toString $g -}}
{{- if not (regexMatch `^(/[^/,$'"\\\x00-\x1f\x7f]+)+$` $s) -}}
{{- $errs = append $errs (printf "global.permissions.adminGroups[%d]=%q is not a full Keycloak group path: write the group's path as Keycloak shows it, e.g. %q for a top-level group or \"/parent/%s\" for a subgroup (bare names are refused: a subgroup anywhere could carry the same name)" $i $s (printf "/%s" (regexReplaceAll "^group:[^/]*/" $s "")) (regexReplaceAll "^group:[^/]*/" $s "")) -}}
{{- end -}}
{{- end -}}
{{- range $grant := list "runTemplates" "registerEntities" "deleteEntities" "buildTechDocs" -}}
{{- range $i, $g := (get ($perm.grants | default dict) $grant | default list) -}}
{{- $s := toString $g -}}
{{- if not (or (eq $s "*") (regexMatch `^(/[^/,$'"\\\x00-\x1f\x7f]+)+$` $s)) -}}
{{- $errs = append $errs (printf "global.permissions.grants.%s[%d]=%q is neither a full Keycloak group path nor \"*\": write the group's path, e.g. %q, or \"*\" for every signed-in user (bare names are refused: a subgroup anywhere could carry the same name)" $grant $i $s (printf "/%s" (regexReplaceAll "^group:[^/]*/" $s ""))) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}

{{/*
Public host.
Usage:  {{ include "backstage-keycloak.validate.host" . | fromJsonArray }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate.host" -}}
{{- $errs := list -}}
{{- $host := toString (.Values.global.host | default "") -}}
{{- if not $host -}}
{{- $errs = append $errs "global.host is required: set it to the public host name of Backstage, e.g. --set global.host=backstage.example.com" -}}
{{- else if not (regexMatch "^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$" $host) -}}
{{- $errs = append $errs (printf "global.host=%q is not a host name: give only the host (and optional :port), without scheme or path, e.g. backstage.example.com" $host) -}}
{{- else -}}
{{- $name := include "backstage-keycloak.hostname" . -}}
{{- $port := trimPrefix (printf "%s:" $name) $host -}}
{{- if ne $name (lower $name) -}}
{{- $errs = append $errs (printf "global.host=%q has upper-case letters: write it in lower case (%s), as Ingress rules and cookies expect" $host (lower $host)) -}}
{{- else if or (contains ".." $name) (regexMatch "(^|[.])-|-([.]|$)|[^.]{64,}" $name) (gt (len $name) 253) -}}
{{- $errs = append $errs (printf "global.host=%q is not a DNS name: labels of up to 63 letters, digits and inner '-', separated by single dots" $host) -}}
{{- end -}}
{{- if and (ne $port $host) (or (lt (atoi $port) 1) (gt (atoi $port) 65535)) -}}
{{- $errs = append $errs (printf "global.host=%q has port %s: use a port from 1 to 65535" $host $port) -}}
{{- end -}}
{{- if and ((.Values.backstage | default dict).ingress | default dict).enabled (regexMatch "^[0-9.]+$" $name) -}}
{{- $errs = append $errs (printf "global.host=%q is an IP address, which an Ingress rule cannot carry: use a DNS name, or disable backstage.ingress.enabled" $host) -}}
{{- end -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}

{{/*
Keycloak URLs: the issuer (https unless global.allowInsecureHttp, ending in /realms/<realm>) and
the in-cluster URL.
Usage:  {{ include "backstage-keycloak.validate.keycloak" . | fromJsonArray }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate.keycloak" -}}
{{- $errs := list -}}
{{- $g := .Values.global -}}
{{- $k := $g.keycloak -}}
{{- $issuer := toString ($k.issuerUrl | default "") -}}
{{- if not $issuer -}}
{{- $errs = append $errs "global.keycloak.issuerUrl is required: set it to the realm's issuer, e.g. https://keycloak.example.com/realms/backstage" -}}
{{- else if not (regexMatch "^https?://[^/]+" $issuer) -}}
{{- $errs = append $errs (printf "global.keycloak.issuerUrl=%q is not an http(s) URL: use https://<keycloak host>/realms/<realm>" $issuer) -}}
{{- else if hasSuffix "/" $issuer -}}
{{- $errs = append $errs (printf "global.keycloak.issuerUrl=%q ends with \"/\": remove the trailing slash; oauth2-proxy compares it exactly with the issuer Keycloak publishes (%s)" $issuer (trimSuffix "/" $issuer)) -}}
{{- else -}}
{{- $urlErrs := include "backstage-keycloak.check.url" (dict "path" "global.keycloak.issuerUrl" "value" $issuer "example" "https://keycloak.example.com/realms/backstage") | fromJsonArray -}}
{{- $errs = concat $errs $urlErrs -}}
{{- if and (not $urlErrs) (not (regexMatch "/realms/[^/]+$" $issuer)) -}}
{{- $errs = append $errs (printf "global.keycloak.issuerUrl=%q does not end in /realms/<realm>: give the realm's issuer exactly as Keycloak publishes it, e.g. https://keycloak.example.com/realms/backstage" $issuer) -}}
{{- end -}}
{{- if and (hasPrefix "http://" $issuer) (not $g.allowInsecureHttp) -}}
{{- $errs = append $errs (printf "global.keycloak.issuerUrl=%q uses plain http: use https, or set global.allowInsecureHttp=true for local development only" $issuer) -}}
{{- end -}}
{{- end -}}
{{- $internal := toString ($k.internalUrl | default "") -}}
{{- if $internal -}}
{{- if not (regexMatch "^https?://[^/]+(/.*)?$" $internal) -}}
{{- $errs = append $errs (printf "global.keycloak.internalUrl=%q is not an http(s) URL: give the base URL pods use to reach Keycloak, e.g. http://keycloak.keycloak.svc:8080" $internal) -}}
{{- else if hasSuffix "/" $internal -}}
{{- $errs = append $errs (printf "global.keycloak.internalUrl=%q ends with \"/\": remove the trailing slash" $internal) -}}
{{- else if contains "/realms/" $internal -}}
{{- $errs = append $errs (printf "global.keycloak.internalUrl=%q contains /realms/: give only Keycloak's base URL; the realm path is taken from global.keycloak.issuerUrl" $internal) -}}
{{- else -}}
{{- $errs = concat $errs (include "backstage-keycloak.check.url" (dict "path" "global.keycloak.internalUrl" "value" $internal "example" "http://keycloak.keycloak.svc:8080") | fromJsonArray) -}}
{{- end -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}

{{/*
Credentials: the Keycloak client, the catalog client and the cookie secret, given in values or
as existing Secrets (one or the other), and what oauth2-proxy accepts of them.
Usage:  {{ include "backstage-keycloak.validate.credentials" . | fromJsonArray }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate.credentials" -}}
{{- $errs := list -}}
{{- $k := .Values.global.keycloak -}}
{{- $o := .Values.global.oauth2Proxy -}}
{{- $cs := $k.catalogSync | default dict -}}
{{- $secretName := `^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$` -}}
{{- $secretKey := `^[-._a-zA-Z0-9]+$` -}}
{{- /* Plain values: they reach the pod through a Secret, the alpha config ("${...}" inside double quotes) and Backstage's config (${KEYCLOAK_CLIENT_ID}). */ -}}
{{- $plain := `^[^"\\\x00-\x1f\x7f]*$` -}}
{{- range $path, $v := dict "global.keycloak.existingSecret" $k.existingSecret "global.oauth2Proxy.existingSecret" $o.existingSecret "global.keycloak.catalogSync.existingSecret" $cs.existingSecret -}}
{{- if and $v (not (and (regexMatch $secretName (toString $v)) (le (len (toString $v)) 253))) -}}
{{- $errs = append $errs (printf "%s=%q is not a Secret name: lower-case letters, digits, '-' and '.'" $path (toString $v)) -}}
{{- end -}}
{{- end -}}
{{- range $path, $v := dict "global.keycloak.existingSecretKeys.clientId" ($k.existingSecretKeys | default dict).clientId "global.keycloak.existingSecretKeys.clientSecret" ($k.existingSecretKeys | default dict).clientSecret "global.oauth2Proxy.existingSecretKeys.cookieSecret" ($o.existingSecretKeys | default dict).cookieSecret "global.keycloak.catalogSync.existingSecretKey" $cs.existingSecretKey -}}
{{- if and $v (not (regexMatch $secretKey (toString $v))) -}}
{{- $errs = append $errs (printf "%s=%q is not a Secret key: letters, digits, '-', '_' and '.'" $path (toString $v)) -}}
{{- end -}}
{{- end -}}
{{- if $k.existingSecret -}}
{{- if $k.clientSecret -}}
{{- $errs = append $errs (printf "global.keycloak.clientSecret and global.keycloak.existingSecret=%q are both set: keep one (existingSecret is read from the cluster; clientSecret is stored in a Secret this chart renders)" (toString $k.existingSecret)) -}}
{{- end -}}
{{- else -}}
{{- if not $k.clientId -}}
{{- $errs = append $errs "global.keycloak.clientId is required: set it to the id of the confidential client in the realm (e.g. backstage), or name a Secret holding it in global.keycloak.existingSecret" -}}
{{- else if not (regexMatch $plain (toString $k.clientId)) -}}
{{- $errs = append $errs (printf "global.keycloak.clientId=%q contains a quote, a backslash or a control character (a trailing newline?): give the client id exactly as Keycloak shows it" (toString $k.clientId)) -}}
{{- end -}}
{{- if not $k.clientSecret -}}
{{- $errs = append $errs "global.keycloak.clientSecret is empty and global.keycloak.existingSecret is not set: give the client secret from Keycloak (Clients > <client> > Credentials), or the name of an existing Secret holding it" -}}
{{- else if not (regexMatch $plain (toString $k.clientSecret)) -}}
{{- $errs = append $errs "global.keycloak.clientSecret contains a quote, a backslash or a control character (a trailing newline?): give the secret exactly as Keycloak shows it (Clients > <client> > Credentials)" -}}
{{- end -}}
{{- end -}}
{{- if $cs.enabled -}}
{{- if and (not $cs.clientSecret) (not $cs.existingSecret) -}}
{{- $errs = append $errs (printf "global.keycloak.catalogSync is enabled but has no client secret: give the secret of the client %q (service account with realm-management view-users, query-users, query-groups) in global.keycloak.catalogSync.clientSecret or existingSecret, or set global.keycloak.catalogSync.enabled=false and fill the catalog yourself" (toString ($cs.clientId | default ""))) -}}
{{- else if and $cs.clientSecret $cs.existingSecret -}}
{{- $errs = append $errs "global.keycloak.catalogSync.clientSecret and global.keycloak.catalogSync.existingSecret are both set: keep one" -}}
{{- else if and $cs.clientSecret (not (regexMatch $plain (toString $cs.clientSecret))) -}}
{{- $errs = append $errs "global.keycloak.catalogSync.clientSecret contains a quote, a backslash or a control character (a trailing newline?): give the secret exactly as Keycloak shows it" -}}
{{- end -}}
{{- if not (regexMatch `^[A-Za-z0-9._~:/@+-]+$` (toString ($cs.clientId | default ""))) -}}
{{- $errs = append $errs (printf "global.keycloak.catalogSync.clientId=%q is not a plain client id: letters, digits and . _ ~ : / @ + - (it is written into Backstage's app-config)" (toString ($cs.clientId | default ""))) -}}
{{- end -}}
{{- end -}}
{{- if and $o.cookieSecret $o.existingSecret -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.cookieSecret and global.oauth2Proxy.existingSecret=%q are both set: keep one" (toString $o.existingSecret)) -}}
{{- else if $o.cookieSecret -}}
{{- $len := include "backstage-keycloak.cookieSecret.keyLength" (toString $o.cookieSecret) | atoi -}}
{{- if not (has $len (list 16 24 32)) -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.cookieSecret gives a %d-byte key, but oauth2-proxy needs 16, 24 or 32 bytes (it decodes unpadded base64url, otherwise uses the raw bytes; '+', '/' or a trailing newline make it raw). Leave it empty to generate one, or use: openssl rand -base64 32 | tr -- '+/' '-_' | tr -d '=\\n'" $len) -}}
{{- else if regexMatch `[\x00-\x1f\x7f]` (toString $o.cookieSecret) -}}
{{- $errs = append $errs "global.oauth2Proxy.cookieSecret contains a control character: use 32 URL-safe characters, or leave it empty to generate one" -}}
{{- end -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}

{{/*
The oauth2-proxy session store (global.oauth2Proxy.sessionStore), request logging and Go runtime
settings: a redis store needs a credential-free redis:// or rediss:// URL, and the password in one
place; GOGC and GOMEMLIMIT in the forms the Go runtime takes.
Usage:  {{ include "backstage-keycloak.validate.sessionStore" . | fromJsonArray }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate.sessionStore" -}}
{{- $errs := list -}}
{{- $o := .Values.global.oauth2Proxy -}}
{{- $store := $o.sessionStore | default dict -}}
{{- $redis := $store.redis | default dict -}}
{{- $type := toString ($store.type | default "cookie") -}}
{{- if not (has $type (list "cookie" "redis")) -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.sessionStore.type=%q: use cookie (the session in the browser's cookie) or redis" $type) -}}
{{- else if eq $type "redis" -}}
{{- $url := toString ($redis.url | default "") -}}
{{- if not $url -}}
{{- $errs = append $errs "global.oauth2Proxy.sessionStore.type=redis needs global.oauth2Proxy.sessionStore.redis.url, e.g. redis://redis-master.redis.svc:6379" -}}
{{- else if not (regexMatch "^rediss?://[^/@\\s\"'$]+(:[0-9]+)?(/[0-9]+)?$" $url) -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.sessionStore.redis.url=%q: use redis://<host>:<port>[/<db>] or rediss://..., with no credentials in it (give the password in global.oauth2Proxy.sessionStore.redis.password or existingSecret: it goes to a Secret)" (regexReplaceAll "//[^@/]*@" $url "//***@")) -}}
{{- end -}}
{{- if and $redis.password $redis.existingSecret -}}
{{- $errs = append $errs "global.oauth2Proxy.sessionStore.redis.password and existingSecret are both set: keep one (existingSecret names a Secret you manage)" -}}
{{- end -}}
{{- if regexMatch "[\"\\\\[:cntrl:]]" (toString ($redis.password | default "")) -}}
{{- $errs = append $errs "global.oauth2Proxy.sessionStore.redis.password contains a quote, a backslash or a control character (a trailing newline?): give the password exactly as Redis has it" -}}
{{- end -}}
{{- end -}}
{{- $logging := $o.logging | default dict -}}
{{- if and (hasKey $logging "requests") (not (kindIs "bool" $logging.requests)) -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.logging.requests=%q: use true or false" (toString $logging.requests)) -}}
{{- end -}}
{{- $go := $o.goRuntime | default dict -}}
{{- with $go.gogc -}}
{{- if not (regexMatch "^([0-9]+|off)$" (toString .)) -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.goRuntime.gogc=%q: use a percentage such as 100 or 400, or off" (toString .)) -}}
{{- end -}}
{{- end -}}
{{- with $go.gomemlimit -}}
{{- if not (regexMatch "^[0-9]+(B|KiB|MiB|GiB|TiB)?$" (toString .)) -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.goRuntime.gomemlimit=%q: use bytes with a unit, e.g. 96MiB (keep it below the sidecar's memory limit)" (toString .)) -}}
{{- end -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}

{{/*
Session cookie: name, SameSite, Secure, refresh and expire as oauth2-proxy validates them.
Usage:  {{ include "backstage-keycloak.validate.cookie" . | fromJsonArray }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate.cookie" -}}
{{- $errs := list -}}
{{- $c := .Values.global.oauth2Proxy.cookie | default dict -}}
{{- $name := toString ($c.name | default "_oauth2_proxy_backstage") -}}
{{- if not (regexMatch "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,200}$" $name) -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.cookie.name=%q is not a cookie name: use up to 200 letters, digits and !#$%%&'*+.^_`|~-, e.g. _oauth2_proxy_backstage" $name) -}}
{{- end -}}
{{- $secure := eq (include "backstage-keycloak.cookie.secure" .) "true" -}}
{{- if and (hasPrefix "__Host-" $name) (or (not $secure) $c.domains) -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.cookie.name=%q: browsers drop a __Host- cookie unless it is Secure and has no Domain; keep global.oauth2Proxy.cookie.secure true and global.oauth2Proxy.cookie.domains empty, or pick another name" $name) -}}
{{- else if and (hasPrefix "__Secure-" $name) (not $secure) -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.cookie.name=%q: browsers drop a __Secure- cookie unless it is Secure; keep global.oauth2Proxy.cookie.secure true, or pick another name" $name) -}}
{{- end -}}
{{- $sameSite := toString ($c.sameSite | default "lax") -}}
{{- if not (has $sameSite (list "lax" "strict" "none")) -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.cookie.sameSite=%q: use lax, strict or none" $sameSite) -}}
{{- else if and (eq $sameSite "none") (eq (include "backstage-keycloak.cookie.secure" .) "false") -}}
{{- $errs = append $errs "global.oauth2Proxy.cookie.sameSite=none needs a Secure cookie (global.oauth2Proxy.cookie.secure): browsers drop it otherwise; use lax" -}}
{{- end -}}
{{- $refresh := include "backstage-keycloak.durationSeconds" ($c.refresh | default "0") | atoi -}}
{{- $expire := include "backstage-keycloak.durationSeconds" ($c.expire | default "30m") | atoi -}}
{{- if lt $refresh 0 -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.cookie.refresh=%q is not a duration of hours, minutes and seconds: use e.g. 4m, 1h30m, or 0 (never re-validate)" (toString $c.refresh)) -}}
{{- end -}}
{{- if lt $expire 0 -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.cookie.expire=%q is not a duration of hours, minutes and seconds: use e.g. 30m or 8h" (toString $c.expire)) -}}
{{- end -}}
{{- if and (gt $refresh 0) (ge $refresh $expire) -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.cookie.refresh=%q must be shorter than global.oauth2Proxy.cookie.expire=%q (oauth2-proxy refuses to start otherwise)" (toString $c.refresh) (toString $c.expire)) -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}

{{/*
Who may sign in and through what: allowed groups and roles, email domains, cookie domains and the
trusted reverse proxies.
Usage:  {{ include "backstage-keycloak.validate.access" . | fromJsonArray }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate.access" -}}
{{- $errs := list -}}
{{- $k := .Values.global.keycloak -}}
{{- $o := .Values.global.oauth2Proxy -}}
{{- $domain := `^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$` -}}
{{- $errs = concat $errs (include "backstage-keycloak.check.items" (dict "path" "global.keycloak.allowedGroups" "value" $k.allowedGroups "pattern" `^[^\s]` "what" "a group name (no leading space)") | fromJsonArray) -}}
{{- $errs = concat $errs (include "backstage-keycloak.check.items" (dict "path" "global.keycloak.allowedRoles" "value" $k.allowedRoles "pattern" `^[^\s]` "what" "a role name (no leading space)") | fromJsonArray) -}}
{{- $errs = concat $errs (include "backstage-keycloak.check.items" (dict "path" "global.oauth2Proxy.emailDomains" "value" $o.emailDomains "pattern" `^(\*|\*?\.?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)$` "what" "an email domain (example.com, .example.com for subdomains, or * for any)") | fromJsonArray) -}}
{{- $errs = concat $errs (include "backstage-keycloak.check.items" (dict "path" "global.oauth2Proxy.cookie.domains" "value" (($o.cookie | default dict).domains) "pattern" (printf `^\.?%s` (trimPrefix "^" $domain)) "what" "a domain (example.com, or .example.com for its subdomains)") | fromJsonArray) -}}
{{- range $i, $ip := ($o.trustedProxyIPs | default list) -}}
{{- if not (include "backstage-keycloak.isCidr" (toString $ip)) -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.trustedProxyIPs[%d]=%q is not an IP address or CIDR that oauth2-proxy accepts: use e.g. 10.0.0.0/8 or fd00::/8 (the address part must be the network address)" $i (toString $ip)) -}}
{{- end -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}

{{/*
Image references of every container the umbrella renders (oauth2-proxy, the `helm test` pod, the
dev Keycloak) and global.imageRegistry; oauth2-proxy older than v7.15.2 is refused.
Usage:  {{ include "backstage-keycloak.validate.images" . | fromJsonArray }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate.images" -}}
{{- $errs := list -}}
{{- $o := .Values.global.oauth2Proxy -}}
{{- $registry := toString (.Values.global.imageRegistry | default "") -}}
{{- if and $registry (not (regexMatch (include "backstage-keycloak.registryPattern" .) $registry)) -}}
{{- $errs = append $errs (printf "global.imageRegistry=%q is not a registry host: use <host>[:<port>][/<path>], e.g. registry.example.com:5000/mirror" $registry) -}}
{{- end -}}
{{- $errs = concat $errs (include "backstage-keycloak.check.image" (dict "path" "global.oauth2Proxy.image" "image" $o.image) | fromJsonArray) -}}
{{- if (.Values.tests | default dict).enabled -}}
{{- $errs = concat $errs (include "backstage-keycloak.check.image" (dict "path" "tests.image" "image" .Values.tests.image) | fromJsonArray) -}}
{{- end -}}
{{- $kd := .Values.keycloakDev | default dict -}}
{{- if $kd.enabled -}}
{{- $errs = concat $errs (include "backstage-keycloak.check.image" (dict "path" "keycloakDev.image" "image" $kd.image) | fromJsonArray) -}}
{{- end -}}
{{- $tag := toString (($o.image | default dict).tag | default "") -}}
{{- $version := regexFind `^v?[0-9]+\.[0-9]+\.[0-9]+` $tag | trimPrefix "v" -}}
{{- if and (not ($o.image | default dict).digest) $version (not (semverCompare ">=7.15.2-0" $version)) -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.image.tag=%q is older than v7.15.2, which fixed several auth-bypass advisories: use v7.15.3" $tag) -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}

{{/*
global.oauth2Proxy.extraEnv: OAUTH2_PROXY_* settings only, none the chart derives or depends on
(backstage-keycloak.oauth2Proxy.ownedSettings), no secret, nothing that breaks Backstage.
Usage:  {{ include "backstage-keycloak.validate.extraEnv" . | fromJsonArray }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate.extraEnv" -}}
{{- $errs := list -}}
{{- $owned := include "backstage-keycloak.oauth2Proxy.ownedSettings" . | fromYaml -}}
{{- $c := .Values.global.oauth2Proxy.cookie | default dict -}}
{{- range $name, $value := (.Values.global.oauth2Proxy.extraEnv | default dict) -}}
{{- $problem := include "backstage-keycloak.check.proxySetting" (dict "name" $name "value" $value "owned" $owned "ctx" $) -}}
{{- if $problem -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.extraEnv.%s%s" $name $problem) -}}
{{- else if not (regexMatch "^OAUTH2_PROXY_[A-Z0-9_]+$" $name) -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.extraEnv.%s: only OAUTH2_PROXY_* settings (upper case, digits, '_') belong here" $name) -}}
{{- end -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}

{{/*
Why one oauth2-proxy setting (environment variable, or --flag as its variable) may not be overridden,
as the tail of a message ("=true (--pass-authorization-header) breaks Backstage..."), or "" when it
may. Used for global.oauth2Proxy.extraEnv and the sidecar's env and args.
Usage:  {{ include "backstage-keycloak.check.proxySetting" (dict "name" "OAUTH2_PROXY_X" "value" "v" "owned" $owned "ctx" $) }}
Params: name   the environment variable
        value  its value
        owned  backstage-keycloak.oauth2Proxy.ownedSettings, parsed
        ctx    the umbrella context
*/}}
{{- define "backstage-keycloak.check.proxySetting" -}}
{{- $breaks := dict "OAUTH2_PROXY_PASS_AUTHORIZATION_HEADER" "--pass-authorization-header" "OAUTH2_PROXY_SET_AUTHORIZATION_HEADER" "--set-authorization-header" "OAUTH2_PROXY_SKIP_JWT_BEARER_TOKENS" "--skip-jwt-bearer-tokens" -}}
{{- $v := toString .value -}}
{{- $truthy := has (lower $v) (list "1" "t" "true") -}}
{{- $secrets := list "OAUTH2_PROXY_CLIENT_SECRET" "OAUTH2_PROXY_COOKIE_SECRET" "OAUTH2_PROXY_CLIENT_ID" "OAUTH2_PROXY_CLIENT_SECRET_FILE" "OAUTH2_PROXY_COOKIE_SECRET_FILE" "OAUTH2_PROXY_REDIS_PASSWORD" "OAUTH2_PROXY_REDIS_SENTINEL_PASSWORD" "OAUTH2_PROXY_REDIS_CLUSTER_CONNECTION_URLS" "OAUTH2_PROXY_REDIS_SENTINEL_CONNECTION_URLS" -}}
{{- if and (hasKey $breaks .name) $truthy -}}
{{- printf "=%s (%s) breaks Backstage: oauth2-proxy would overwrite the Backstage token in the Authorization header (or accept bearer tokens instead of the session). Remove it" $v (get $breaks .name) -}}
{{- else if eq .name "OAUTH2_PROXY_BASIC_AUTH_PASSWORD" -}}
{{- print ": it makes oauth2-proxy send Authorization: Basic, which replaces the Backstage token and breaks every API call. Remove it" -}}
{{- else if has .name $secrets -}}
{{- print ": secrets never go into the ConfigMap; use global.keycloak.clientId/clientSecret/existingSecret, global.oauth2Proxy.cookieSecret/existingSecret or global.oauth2Proxy.sessionStore.redis.password/existingSecret" -}}
{{- else if and (eq .name "OAUTH2_PROXY_SESSION_COOKIE_MINIMAL") $truthy (or (include "backstage-keycloak.verifiedToken" .ctx) (gt (include "backstage-keycloak.durationSeconds" ((.ctx.Values.global.oauth2Proxy.cookie | default dict).refresh | default "0") | atoi) 0)) -}}
{{- print "=true drops the tokens from the session, which cookie refresh (global.oauth2Proxy.cookie.refresh) and global.signIn.mode=verifiedToken need: oauth2-proxy refuses to start. Set global.oauth2Proxy.cookie.refresh=0 in oauth2Proxy mode, or remove it" -}}
{{- else if hasKey .owned .name -}}
{{- $instead := get .owned .name -}}
{{- if $instead -}}
{{- printf ": the chart derives this setting and depends on it; set %s instead" $instead -}}
{{- else -}}
{{- print ": the chart fixes this setting and Backstage depends on it; remove it" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The oauth2-proxy entry of backstage.backstage.extraContainers: present (Helm replaces lists), and
every field the chart derives left as the chart renders it: image, args, envFrom, the secret env,
ports and the alpha config mount. Other OAUTH2_PROXY_* env is checked like extraEnv.
Usage:  {{ include "backstage-keycloak.validate.sidecar" . | fromJsonArray }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate.sidecar" -}}
{{- $errs := list -}}
{{- $b := (.Values.backstage | default dict).backstage | default dict -}}
{{- $owned := include "backstage-keycloak.oauth2Proxy.ownedSettings" . | fromYaml -}}
{{- $refs := include "backstage-keycloak.secret.refs" . | fromYaml -}}
{{- $fullname := include "backstage-keycloak.oauth2Proxy.fullname" . -}}
{{- $sidecar := dict -}}
{{- range $ctr := ($b.extraContainers | default list) -}}
{{- if eq (toString $ctr.name) "oauth2-proxy" -}}{{- $sidecar = $ctr -}}{{- end -}}
{{- end -}}
{{- $at := "backstage.backstage.extraContainers[oauth2-proxy]" -}}
{{- if not (include "backstage-keycloak.proxyMode" .) -}}
{{- /* native modes: the wiring drops the sidecar; nothing to check */ -}}
{{- else if not $sidecar -}}
{{- $errs = append $errs "backstage.backstage.extraContainers has no container named oauth2-proxy: Helm replaces lists, so copy the default oauth2-proxy entry from the chart's values.yaml into yours and append your containers after it" -}}
{{- else -}}
{{- /* image */ -}}
{{- $image := include "backstage-keycloak.oauth2Proxy.image" . -}}
{{- if ne (include "backstage-keycloak.tplValue" (dict "value" $sidecar.image "ctx" $)) $image -}}
{{- $errs = append $errs (printf "%s.image=%q: the chart derives the image (%s); set global.oauth2Proxy.image.* or global.imageRegistry instead, and keep the entry's image as in values.yaml" $at (toString $sidecar.image) $image) -}}
{{- end -}}
{{- /* args */ -}}
{{- $alpha := printf "--alpha-config=%s" (include "backstage-keycloak.oauth2Proxy.alphaConfigPath" .) -}}
{{- $breaks := dict "--pass-authorization-header" true "--set-authorization-header" true "--skip-jwt-bearer-tokens" true -}}
{{- $sawAlpha := false -}}
{{- range $arg := ($sidecar.args | default list) -}}
{{- $a := include "backstage-keycloak.tplValue" (dict "value" $arg "ctx" $) -}}
{{- $flag := regexReplaceAll "=.*$" $a "" -}}
{{- if eq $a $alpha -}}{{- $sawAlpha = true -}}
{{- else if and (hasKey $breaks $flag) (not (hasSuffix "=false" $a)) -}}
{{- $errs = append $errs (printf "%s.args has %q: it breaks Backstage (the Backstage token in Authorization would be replaced, or bearer tokens accepted). Remove it" $at (toString $arg)) -}}
{{- else if hasPrefix "--alpha-config" $a -}}
{{- $errs = append $errs (printf "%s.args has %q: the chart sets --alpha-config from global.signIn.mode; keep the entry's args as in values.yaml" $at (toString $arg)) -}}
{{- else -}}
{{- $env := printf "OAUTH2_PROXY_%s" (trimPrefix "--" $flag | upper | replace "-" "_") -}}
{{- $problem := include "backstage-keycloak.check.proxySetting" (dict "name" $env "value" (ternary (regexReplaceAll "^[^=]*=" $a "") "true" (contains "=" $a)) "owned" $owned "ctx" $) -}}
{{- if $problem -}}
{{- $errs = append $errs (printf "%s.args has %q (%s)%s" $at (toString $arg) $env $problem) -}}
{{- else -}}
{{- $errs = append $errs (printf "%s.args has %q: the sidecar takes its settings from the chart's ConfigMap; put it in global.oauth2Proxy.extraEnv.%s instead" $at (toString $arg) $env) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if not $sawAlpha -}}
{{- $errs = append $errs (printf "%s.args lacks %q: the chart selects the sidecar's configuration with it; keep the entry's args as in values.yaml" $at $alpha) -}}
{{- end -}}
{{- /* envFrom: our ConfigMap */ -}}
{{- $cm := false -}}
{{- range $from := ($sidecar.envFrom | default list) -}}
{{- if eq (include "backstage-keycloak.tplValue" (dict "value" ((get $from "configMapRef" | default dict).name) "ctx" $)) $fullname -}}{{- $cm = true -}}{{- end -}}
{{- end -}}
{{- if not $cm -}}
{{- $errs = append $errs (printf "%s.envFrom does not load the ConfigMap %s: the proxy's settings are there; keep the entry's envFrom as in values.yaml" $at $fullname) -}}
{{- end -}}
{{- /* env: the three credentials by secretKeyRef, nothing the chart owns */ -}}
{{- $creds := dict "OAUTH2_PROXY_CLIENT_ID" $refs.clientId "OAUTH2_PROXY_CLIENT_SECRET" $refs.clientSecret "OAUTH2_PROXY_COOKIE_SECRET" $refs.cookieSecret -}}
{{- /* the Redis password: always a reference to where the chart puts it (optional), required when in use */ -}}
{{- $optionalCreds := dict "OAUTH2_PROXY_REDIS_PASSWORD" $refs.redisPassword -}}
{{- $seen := dict -}}
{{- range $e := ($sidecar.env | default list) -}}
{{- $name := toString $e.name -}}
{{- if hasKey $optionalCreds $name -}}
{{- $want := get $optionalCreds $name -}}
{{- $ref := (($e.valueFrom | default dict).secretKeyRef | default dict) -}}
{{- $gotName := include "backstage-keycloak.tplValue" (dict "value" $ref.name "ctx" $) -}}
{{- $gotKey := include "backstage-keycloak.tplValue" (dict "value" $ref.key "ctx" $) -}}
{{- if or (ne $gotName $want.name) (ne $gotKey $want.key) -}}
{{- $errs = append $errs (printf "%s.env %s reads Secret %q key %q, but the Redis password is in Secret %q key %q: set global.oauth2Proxy.sessionStore.redis.password or existingSecret/existingSecretKey instead, and keep the entry's env as in values.yaml" $at $name $gotName $gotKey $want.name $want.key) -}}
{{- end -}}
{{- $_ := set $seen $name true -}}
{{- else if hasKey $creds $name -}}
{{- $want := get $creds $name -}}
{{- $ref := (($e.valueFrom | default dict).secretKeyRef | default dict) -}}
{{- $gotName := include "backstage-keycloak.tplValue" (dict "value" $ref.name "ctx" $) -}}
{{- $gotKey := include "backstage-keycloak.tplValue" (dict "value" $ref.key "ctx" $) -}}
{{- if or (ne $gotName $want.name) (ne $gotKey $want.key) -}}
{{- $errs = append $errs (printf "%s.env %s reads Secret %q key %q, but the credential is in Secret %q key %q: set global.keycloak.existingSecret/existingSecretKeys or global.oauth2Proxy.existingSecret/existingSecretKeys instead, and keep the entry's env as in values.yaml" $at $name $gotName $gotKey $want.name $want.key) -}}
{{- end -}}
{{- $_ := set $seen $name true -}}
{{- else -}}
{{- $problem := include "backstage-keycloak.check.proxySetting" (dict "name" $name "value" (toString ($e.value | default "")) "owned" $owned "ctx" $) -}}
{{- if $problem -}}
{{- $errs = append $errs (printf "%s.env %s%s" $at $name $problem) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $name := keys $creds | sortAlpha -}}
{{- if not (hasKey $seen $name) -}}
{{- $errs = append $errs (printf "%s.env lacks %s (from a secretKeyRef): keep the entry's env as in values.yaml" $at $name) -}}
{{- end -}}
{{- end -}}
{{- if and $refs.redisPassword.enabled (not (hasKey $seen "OAUTH2_PROXY_REDIS_PASSWORD")) -}}
{{- $errs = append $errs (printf "%s.env lacks OAUTH2_PROXY_REDIS_PASSWORD (from a secretKeyRef), which global.oauth2Proxy.sessionStore.redis needs: keep the entry's env as in values.yaml" $at) -}}
{{- end -}}
{{- /* ports the Service, the NetworkPolicy and the probes name */ -}}
{{- range $want := list (list "oauth2-proxy" 4180) (list "oauth2-metrics" 44180) -}}
{{- $found := false -}}
{{- range $p := ($sidecar.ports | default list) -}}
{{- if and (eq (toString $p.name) (index $want 0)) (eq (toString $p.containerPort) (toString (index $want 1))) -}}{{- $found = true -}}{{- end -}}
{{- end -}}
{{- if not $found -}}
{{- $errs = append $errs (printf "%s.ports lacks %s (containerPort %d): the Service, the NetworkPolicy and the probes use it; keep the entry's ports as in values.yaml" $at (index $want 0) (index $want 1)) -}}
{{- end -}}
{{- end -}}
{{- /* the alpha config mount */ -}}
{{- $mounted := false -}}
{{- range $m := ($sidecar.volumeMounts | default list) -}}
{{- if and (eq (toString $m.name) "oauth2-proxy-alpha") (eq (toString $m.mountPath) "/etc/oauth2-proxy") -}}{{- $mounted = true -}}{{- end -}}
{{- end -}}
{{- if not $mounted -}}
{{- $errs = append $errs (printf "%s.volumeMounts lacks oauth2-proxy-alpha at /etc/oauth2-proxy: the alpha config of global.signIn.mode=verifiedToken is mounted there; keep the entry's volumeMounts as in values.yaml" $at) -}}
{{- end -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}

{{/*
A value as the upstream chart will render it: templated values are run through `tpl` in this
chart's context (they call only helpers that read .Values.global and .Release, so the result is the
same as in the subchart's context); plain values are returned as they are.
Usage:  {{ include "backstage-keycloak.tplValue" (dict "value" $v "ctx" $) }}
Params: value  the value (any scalar; nil gives "")
        ctx    the umbrella context
*/}}
{{- define "backstage-keycloak.tplValue" -}}
{{- $v := ternary "" (toString .value) (kindIs "invalid" .value) -}}
{{- if contains "{{" $v -}}{{- tpl $v .ctx -}}{{- else -}}{{- $v -}}{{- end -}}
{{- end -}}

{{/*
The Backstage side: the values the chart sets in appConfig (public URLs, the loopback listener, the
sign-in provider and its settings, the Keycloak catalog module) and the wiring of the pod (Service
target, env from Secrets, volumes, probes through the sidecar, checksum annotations).
Usage:  {{ include "backstage-keycloak.validate.backstage" . | fromJsonArray }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate.backstage" -}}
{{- $errs := list -}}
{{- $g := .Values.global -}}
{{- $bs := .Values.backstage | default dict -}}
{{- $b := $bs.backstage | default dict -}}
{{- $app := $b.appConfig | default dict -}}
{{- $kc := include "backstage-keycloak.keycloak.endpoints" . | fromYaml -}}
{{- $refs := include "backstage-keycloak.secret.refs" . | fromYaml -}}
{{- $cs := $g.keycloak.catalogSync | default dict -}}
{{- $public := include "backstage-keycloak.publicUrl" . -}}
{{- $proxy := eq (include "backstage-keycloak.proxyMode" .) "true" -}}
{{- $mode := include "backstage-keycloak.signInMode" . -}}
{{- /* proxy modes: Backstage must be reachable only through the proxy */ -}}
{{- $listen := (($app.backend | default dict).listen | default dict) -}}
{{- $listenHost := include "backstage-keycloak.tplValue" (dict "value" $listen.host "ctx" $) -}}
{{- if and $proxy (not (has $listenHost (list "127.0.0.1" "::1" "localhost"))) -}}
{{- $errs = append $errs (printf "backstage.backstage.appConfig.backend.listen.host=%q: in global.signIn.mode=%s Backstage trusts what the proxy forwards, so it must listen on loopback only; leave the chart's value (127.0.0.1)" $listenHost $mode) -}}
{{- else if and (not $proxy) (has $listenHost (list "127.0.0.1" "::1" "localhost")) -}}
{{- $errs = append $errs (printf "backstage.backstage.appConfig.backend.listen.host=%q: in global.signIn.mode=%s nothing runs in front of Backstage, so a loopback listener is unreachable; leave the chart's value (0.0.0.0)" $listenHost $mode) -}}
{{- end -}}
{{- if ne (toString ($listen.port | default "")) "7007" -}}
{{- $errs = append $errs (printf "backstage.backstage.appConfig.backend.listen.port=%q: the sidecar's upstream and the upstream chart's container port are 7007; leave it at 7007" (toString ($listen.port | default ""))) -}}
{{- end -}}
{{- if $g.allowInsecureHttp -}}
{{- $csp := (($app.backend | default dict).csp | default dict) -}}
{{- if not (and (hasKey $csp "upgrade-insecure-requests") (eq (toString (index $csp "upgrade-insecure-requests")) "false")) -}}
{{- $errs = append $errs "global.allowInsecureHttp=true needs backstage.backstage.appConfig.backend.csp.upgrade-insecure-requests: false: Backstage's default Content-Security-Policy makes browsers load its scripts over https, so the app stays blank over http (see values/kind.yaml)" -}}
{{- end -}}
{{- end -}}
{{- /* appConfig values the chart derives: [path, expected, what to set instead] */ -}}
{{- $derived := list
  (list "app.baseUrl" $public "global.host (and global.allowInsecureHttp)")
  (list "backend.baseUrl" $public "global.host (and global.allowInsecureHttp)")
  (list "app.signInProvider" (include "backstage-keycloak.signInProvider" .) "global.signIn.mode")
  (list "permission.enabled" "true" "global.permissions.adminGroups (the permission policy is what keeps non-admins from changing the catalog)")
  (list "catalog.providers.keycloakOrg.default.baseUrl" $kc.baseUrl "global.keycloak.internalUrl or global.keycloak.issuerUrl")
  (list "catalog.providers.keycloakOrg.default.loginRealm" $kc.realm "global.keycloak.issuerUrl")
  (list "catalog.providers.keycloakOrg.default.realm" $kc.realm "global.keycloak.issuerUrl")
  (list "catalog.providers.keycloakOrg.default.clientId" (toString ($cs.clientId | default "")) "global.keycloak.catalogSync.clientId")
  (list "catalog.providers.keycloakOrg.default.clientSecret" "${KEYCLOAK_CATALOG_CLIENT_SECRET}" "global.keycloak.catalogSync.clientSecret or existingSecret")
  (list "catalog.providers.keycloakOrg.default.schedule.frequency.minutes" (toString ($cs.frequencyMinutes | default "")) "global.keycloak.catalogSync.frequencyMinutes")
-}}
{{- range $d := $derived -}}
{{- $path := index $d 0 -}}
{{- $node := $app -}}
{{- $missing := false -}}
{{- range $part := splitList "." $path -}}
{{- if and (not $missing) (kindIs "map" $node) (hasKey $node $part) -}}{{- $node = get $node $part -}}{{- else -}}{{- $missing = true -}}{{- end -}}
{{- end -}}
{{- if or $missing (kindIs "map" $node) (kindIs "slice" $node) -}}
{{- $errs = append $errs (printf "backstage.backstage.appConfig.%s is missing: the chart sets it from %s; leave it out of your values" $path (index $d 2)) -}}
{{- else -}}
{{- $got := include "backstage-keycloak.tplValue" (dict "value" $node "ctx" $) -}}
{{- if ne $got (index $d 1) -}}
{{- $errs = append $errs (printf "backstage.backstage.appConfig.%s=%q, but the chart derives %q from %s and depends on it: set %s instead and leave this key out of your values" $path $got (index $d 1) (index $d 2) (index $d 2)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- /* the configuration of the mode (backstage-keycloak.mode.appConfig, merged in by the wiring) */ -}}
{{- $authEnv := (($app.auth | default dict).environment | default "production") | toString -}}
{{- $modeCfg := include "backstage-keycloak.mode.appConfig" (dict "ctx" . "env" $authEnv) | fromYaml -}}
{{- range $path, $want := (include "backstage-keycloak.flatten" (dict "value" $modeCfg "prefix" "") | fromYaml) -}}
{{- $node := $app -}}
{{- $missing := false -}}
{{- range $part := splitList "." $path -}}
{{- if and (not $missing) (kindIs "map" $node) (hasKey $node $part) -}}{{- $node = get $node $part -}}{{- else -}}{{- $missing = true -}}{{- end -}}
{{- end -}}
{{- $instead := include "backstage-keycloak.derivedFrom" $path -}}
{{- if $missing -}}
{{- $errs = append $errs (printf "backstage.backstage.appConfig.%s is missing: the chart adds it for global.signIn.mode=%s when it wires the pod; keep the backstage-keycloak/sign-in-mode annotations of the chart's values.yaml" $path $mode) -}}
{{- else if and (eq $want "{}") (kindIs "map" $node) -}}
{{- /* an empty provider block (oauth2Proxy): its content is checked below */ -}}
{{- else -}}
{{- $got := ternary (toJson $node) (include "backstage-keycloak.tplValue" (dict "value" $node "ctx" $)) (kindIs "slice" $node) -}}
{{- if ne $got $want -}}
{{- $errs = append $errs (printf "backstage.backstage.appConfig.%s=%s, but the chart derives %s from %s and depends on it: set %s instead and leave this key out of your values" $path $got $want $instead $instead) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $providers := (($app.auth | default dict).providers | default dict) -}}
{{- $provider := include "backstage-keycloak.signInProvider" . -}}
{{- range $name := keys $providers | sortAlpha -}}
{{- if ne $name $provider -}}
{{- $errs = append $errs (printf "backstage.backstage.appConfig.auth.providers.%s: the image registers only the provider of global.signIn.mode=%s (%s), so this would be dead configuration; remove it (to sign in another way, change global.signIn.mode)" $name $mode $provider) -}}
{{- end -}}
{{- end -}}
{{- if and (eq $provider "oauth2Proxy") (kindIs "map" (get $providers "oauth2Proxy")) (hasKey (get $providers "oauth2Proxy") "signIn") -}}
{{- $errs = append $errs "backstage.backstage.appConfig.auth.providers.oauth2Proxy.signIn is not read: the app's oauth2Proxy module signs users in by preferred_username, then email (backstage/plugins/auth-backend-module-keycloak/src/resolvers.ts); remove it" -}}
{{- end -}}
{{- /* the mode's wiring ran (the annotations call it) */ -}}
{{- range $at, $ann := dict "backstage.service.annotations" (($bs.service | default dict).annotations | default dict) "backstage.backstage.annotations" ($b.annotations | default dict) "backstage.backstage.podAnnotations" ($b.podAnnotations | default dict) -}}
{{- if ne (include "backstage-keycloak.tplValue" (dict "value" (get $ann "backstage-keycloak/sign-in-mode") "ctx" $)) $mode -}}
{{- $errs = append $errs (printf "%s lacks backstage-keycloak/sign-in-mode as the chart's values.yaml sets it: that annotation wires the Backstage chart for global.signIn.mode (templates/_mode.tpl); keep it" $at) -}}
{{- end -}}
{{- end -}}
{{- /* the Service sends traffic to the sidecar (proxy modes) or to Backstage (native modes) */ -}}
{{- $target := ((($bs.service | default dict).ports | default dict).targetPort) | default "" | toString -}}
{{- if and $proxy (ne $target "oauth2-proxy") -}}
{{- $errs = append $errs (printf "backstage.service.ports.targetPort=%q: in global.signIn.mode=%s the Service must send traffic to the sidecar's port \"oauth2-proxy\", never to Backstage directly" $target $mode) -}}
{{- else if and (not $proxy) (ne $target "backend") -}}
{{- $errs = append $errs (printf "backstage.service.ports.targetPort=%q: in global.signIn.mode=%s the Service sends traffic to Backstage's port \"backend\" (the chart switches the default oauth2-proxy to it); leave the chart's value" $target $mode) -}}
{{- end -}}
{{- /* env the app reads, from the chart's Secrets */ -}}
{{- $wantEnv := dict
  "KEYCLOAK_CLIENT_ID" (dict "ref" $refs.clientId "instead" "global.keycloak.existingSecret/existingSecretKeys")
  "KEYCLOAK_CATALOG_CLIENT_SECRET" (dict "ref" $refs.catalogClientSecret "instead" "global.keycloak.catalogSync.existingSecret/existingSecretKey")
  "BACKSTAGE_KEYCLOAK_CATALOG_SYNC" (dict "value" (toString (not (empty $cs.enabled))) "instead" "global.keycloak.catalogSync.enabled")
  "BACKSTAGE_SIGNIN_MODE" (dict "value" $mode "instead" "global.signIn.mode")
-}}
{{- if not $proxy -}}
{{- $_ := set $wantEnv "KEYCLOAK_CLIENT_SECRET" (dict "ref" $refs.clientSecret "instead" "global.keycloak.clientSecret or global.keycloak.existingSecret/existingSecretKeys") -}}
{{- $_ := set $wantEnv "AUTH_SESSION_SECRET" (dict "ref" $refs.sessionSecret "instead" "global.signIn.session.secret or existingSecret/existingSecretKey") -}}
{{- end -}}
{{- $seen := dict -}}
{{- range $e := ($b.extraEnvVars | default list) -}}
{{- $name := toString $e.name -}}
{{- if and $proxy (eq $name "KEYCLOAK_CLIENT_SECRET") -}}
{{- $errs = append $errs (printf "backstage.backstage.extraEnvVars has KEYCLOAK_CLIENT_SECRET: in global.signIn.mode=%s only oauth2-proxy needs the client secret, and Backstage must not hold it; remove it" $mode) -}}
{{- else if hasKey $wantEnv $name -}}
{{- $want := get $wantEnv $name -}}
{{- $_ := set $seen $name true -}}
{{- if hasKey $want "ref" -}}
{{- $ref := (($e.valueFrom | default dict).secretKeyRef | default dict) -}}
{{- $gotName := include "backstage-keycloak.tplValue" (dict "value" $ref.name "ctx" $) -}}
{{- $gotKey := include "backstage-keycloak.tplValue" (dict "value" $ref.key "ctx" $) -}}
{{- if or (ne $gotName $want.ref.name) (ne $gotKey $want.ref.key) -}}
{{- $errs = append $errs (printf "backstage.backstage.extraEnvVars %s reads Secret %q key %q, but the chart keeps it in Secret %q key %q: set %s instead, and keep the entry as in values.yaml" $name $gotName $gotKey $want.ref.name $want.ref.key $want.instead) -}}
{{- end -}}
{{- else if ne (include "backstage-keycloak.tplValue" (dict "value" $e.value "ctx" $)) $want.value -}}
{{- $errs = append $errs (printf "backstage.backstage.extraEnvVars %s=%q, but the chart derives %q: set %s instead, and keep the entry as in values.yaml" $name (toString ($e.value | default "")) $want.value $want.instead) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $name := keys $wantEnv | sortAlpha -}}
{{- if not (hasKey $seen $name) -}}
{{- $errs = append $errs (printf "backstage.backstage.extraEnvVars lacks %s: Helm replaces lists, so copy the default entries from the chart's values.yaml into yours and append your variables after them" $name) -}}
{{- end -}}
{{- end -}}
{{- /* volumes the containers mount */ -}}
{{- $alphaCm := "" -}}
{{- $tmp := false -}}
{{- range $v := ($b.extraVolumes | default list) -}}
{{- if eq (toString $v.name) "oauth2-proxy-alpha" -}}{{- $alphaCm = include "backstage-keycloak.tplValue" (dict "value" (($v.configMap | default dict).name) "ctx" $) -}}{{- end -}}
{{- if eq (toString $v.name) "tmp" -}}{{- $tmp = true -}}{{- end -}}
{{- end -}}
{{- if and $proxy (ne $alphaCm (printf "%s-alpha" (include "backstage-keycloak.oauth2Proxy.fullname" .))) -}}
{{- $errs = append $errs (printf "backstage.backstage.extraVolumes lacks the volume oauth2-proxy-alpha (ConfigMap %s-alpha) the sidecar mounts: Helm replaces lists, so copy the default entries from the chart's values.yaml into yours and append your volumes after them" (include "backstage-keycloak.oauth2Proxy.fullname" .)) -}}
{{- end -}}
{{- $tmpMount := false -}}
{{- range $m := ($b.extraVolumeMounts | default list) -}}
{{- if and (eq (toString $m.name) "tmp") (eq (toString $m.mountPath) "/tmp") -}}{{- $tmpMount = true -}}{{- end -}}
{{- end -}}
{{- if not (and $tmp $tmpMount) -}}
{{- $errs = append $errs "backstage.backstage.extraVolumes/extraVolumeMounts lack the tmp volume mounted at /tmp: the Backstage container's root filesystem is read-only (and the upstream chart renders extraVolumes only with a mount); copy the default entries from the chart's values.yaml and append yours" -}}
{{- end -}}
{{- /* probes: through the sidecar's unauthenticated health route (proxy modes), or straight to Backstage */ -}}
{{- $probePort := ternary "4180" "backend" $proxy -}}
{{- range $probe := list "readinessProbe" "livenessProbe" "startupProbe" -}}
{{- $p := get $b $probe | default dict -}}
{{- $get := $p.httpGet | default dict -}}
{{- if or $p.exec $p.tcpSocket $p.grpc -}}
{{- $errs = append $errs (printf "backstage.backstage.%s sets exec/tcpSocket/grpc: Helm merges it with the chart's httpGet (two handlers, refused by Kubernetes); keep the chart's httpGet on the health route" $probe) -}}
{{- else if not (and (has (toString $get.port) (ternary (list "4180") (list "backend" "7007") $proxy)) (has (toString $get.path) (list "/.backstage/health/v1/readiness" "/.backstage/health/v1/liveness"))) -}}
{{- if $proxy -}}
{{- $errs = append $errs (printf "backstage.backstage.%s.httpGet=%s: probe through the sidecar (port 4180) on /.backstage/health/v1/readiness or /liveness, the only routes it serves without a login" $probe (toJson $get)) -}}
{{- else -}}
{{- $errs = append $errs (printf "backstage.backstage.%s.httpGet=%s: in global.signIn.mode=%s probe Backstage itself (port backend) on /.backstage/health/v1/readiness or /liveness (the chart moves the default port 4180 there)" $probe (toJson $get) $mode) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- /* the checksums that roll the pod */ -}}
{{- $ann := $b.podAnnotations | default dict -}}
{{- range $name, $want := dict "checksum/oauth2-proxy-secret" (include "backstage-keycloak.checksum.secret" .) "checksum/oauth2-proxy-config" (include "backstage-keycloak.checksum.config" .) -}}
{{- if ne (include "backstage-keycloak.tplValue" (dict "value" (get $ann $name) "ctx" $)) $want -}}
{{- $errs = append $errs (printf "backstage.backstage.podAnnotations.%s is not the chart's checksum: it rolls the pod when a secret or a proxy setting changes; leave it out of your values" $name) -}}
{{- end -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}


{{/*
Flattens a map into "a.b.c" -> leaf, as a YAML map: scalars as strings, lists as JSON, empty maps
as "{}". Used to compare the configuration the chart derives with what appConfig holds.
Usage:  {{ include "backstage-keycloak.flatten" (dict "value" $map "prefix" "") | fromYaml }}
Params: value   the map
        prefix  the path of the map ("" at the top)
*/}}
{{- define "backstage-keycloak.flatten" -}}
{{- $out := dict -}}
{{- $prefix := .prefix -}}
{{- range $k, $v := .value -}}
{{- $p := ternary $k (printf "%s.%s" $prefix $k) (empty $prefix) -}}
{{- if and (kindIs "map" $v) $v -}}
{{- $out = merge $out (include "backstage-keycloak.flatten" (dict "value" $v "prefix" $p) | fromYaml) -}}
{{- else if kindIs "slice" $v -}}
{{- $_ := set $out $p (toJson $v) -}}
{{- else if kindIs "map" $v -}}
{{- $_ := set $out $p "{}" -}}
{{- else -}}
{{- $_ := set $out $p (toString $v) -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
The global.* value a derived appConfig key comes from, named in validation messages.
Usage:  {{ include "backstage-keycloak.derivedFrom" "auth.providers.oidc.production.prompt" }}
Params: . the appConfig path.
*/}}
{{- define "backstage-keycloak.derivedFrom" -}}
{{- $p := . -}}
{{- if contains "allowedGroups" $p -}}global.keycloak.allowedGroups
{{- else if contains "allowedRoles" $p -}}global.keycloak.allowedRoles
{{- else if contains "additionalScopes" $p -}}global.keycloak.allowedGroups (the `groups` scope)
{{- else if contains "adminGroups" $p -}}global.permissions.adminGroups
{{- else if contains "permissions.grants" $p -}}global.permissions.grants
{{- else if eq $p "catalog.readonly" -}}global.permissions.catalogReadonly
{{- else if hasPrefix "auth.session" $p -}}global.signIn.session.secret or existingSecret
{{- else if hasSuffix ".prompt" $p -}}global.signIn.prompt
{{- else if hasSuffix ".header" $p -}}global.signIn.idTokenHeader
{{- else if or (hasSuffix ".clientId" $p) (hasSuffix ".audience" $p) -}}global.keycloak.clientId or global.keycloak.existingSecret
{{- else if hasSuffix ".clientSecret" $p -}}global.keycloak.clientSecret or global.keycloak.existingSecret
{{- else -}}global.signIn.mode and global.keycloak.issuerUrl/internalUrl
{{- end -}}
{{- end -}}
