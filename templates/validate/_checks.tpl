{{/*
Generic checks, independent of this chart's values: URLs, durations, CIDRs, list items, image
references, values rendered through `tpl`, and the flattening of maps for comparisons. Each takes
the path of the value it checks, so its messages name it.
*/}}

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
{{- $errs = append $errs (printf "%s.tag=%q is not an image tag: use a version such as v7.15.6 (letters, digits, '_', '.', '-')" .path (toString ($i.tag | default ""))) -}}
{{- else if eq (toString $i.tag) "latest" -}}
{{- $errs = append $errs (printf "%s.tag=latest is not a pinned version: give the version to run (or a digest)" .path) -}}
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
