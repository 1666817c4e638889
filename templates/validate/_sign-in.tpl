{{/*
Rules of the sign-in: the mode and its values, the public host, the Keycloak issuer and URLs, and
who may sign in.
*/}}

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
{{- $lists := list (list "global.permissions.adminGroups" $perm.adminGroups false) -}}
{{- range $grant := list "runTemplates" "registerEntities" "deleteEntities" "buildTechDocs" -}}
{{- $lists = append $lists (list (printf "global.permissions.grants.%s" $grant) (get ($perm.grants | default dict) $grant) true) -}}
{{- end -}}
{{- range $l := $lists -}}
{{- $key := index $l 0 -}}
{{- $star := index $l 2 -}}
{{- range $i, $g := (index $l 1 | default list) -}}
{{- $s := toString $g -}}
{{- $bare := regexReplaceAll "^group:[^/]*/" $s "" -}}
{{- if not (or (and $star (eq $s "*")) (regexMatch `^(/[^/,$'"\\\x00-\x1f\x7f]+)+$` $s)) -}}
{{- if $star -}}
{{- $errs = append $errs (printf "%s[%d]=%q is neither a full Keycloak group path nor \"*\": write the group's path, e.g. %q, or \"*\" for every signed-in user (bare names are refused: a subgroup anywhere could carry the same name)" $key $i $s (printf "/%s" $bare)) -}}
{{- else -}}
{{- $errs = append $errs (printf "%s[%d]=%q is not a full Keycloak group path: write the group's path as Keycloak shows it, e.g. %q for a top-level group or \"/parent/%s\" for a subgroup (bare names are refused: a subgroup anywhere could carry the same name)" $key $i $s (printf "/%s" $bare) $bare) -}}
{{- end -}}
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
{{- else if regexMatch "^([a-zA-Z][a-zA-Z0-9+.-]*://)?[^/:]+(:[0-9]+)?/[^/]" $host -}}
{{- $errs = append $errs (printf "global.host=%q has a path: a sub-path install is not supported (Backstage's app.baseUrl, the login redirect URI and the session cookie are at the root of global.host); give the host name only, e.g. %s, and serve Backstage at the root of a host name of its own" $host (regexReplaceAll "^([a-zA-Z][a-zA-Z0-9+.-]*://)?([^/:]+)(:[0-9]+)?/.*$" $host "${2}${3}")) -}}
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
{{- $errs = concat $errs (include "backstage-keycloak.check.items" (dict "path" "global.keycloak.allowedGroups" "value" $k.allowedGroups "pattern" `^(/[^/\s][^/]*)+$` "what" "a full Keycloak group path such as /admins or /platform/sre (the realm's groups mapper must send full paths: bare names are refused because a subgroup anywhere could carry the same name)") | fromJsonArray) -}}
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
