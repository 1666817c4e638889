{{/*
Rules of the secrets and the session: credentials from values or existing Secrets, the session
store and the cookie.
*/}}

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
Secrets the chart would generate where it cannot keep them: the cookie secret (proxy modes) and the
session secret (native modes) are generated once and then read back from our live Secret with
`lookup`; so are the bundled PostgreSQL's passwords (backstage.postgresql, bitnami's own lookup). A render that cannot read the cluster (`helm template`, hence Argo CD; a client-side dry
run) would make a new value on every run, so it is refused, naming both fixes, unless
global.secrets.allowGenerated opts in (docs/gitops.md: keep the value with Argo CD's
ignoreDifferences). A value already stored in the live Secret is never a problem.
Usage:  {{ include "backstage-keycloak.validate.generatedSecrets" . | fromJsonArray }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate.generatedSecrets" -}}
{{- $errs := list -}}
{{- $fixes := dict
  "cookie-secret" (list "the cookie secret" "global.oauth2Proxy.cookieSecret" "global.oauth2Proxy.existingSecret")
  "session-secret" (list "the session secret" "global.signIn.session.secret" "global.signIn.session.existingSecret")
  "postgres-password" (list "the bundled PostgreSQL's admin password" "backstage.postgresql.auth.postgresPassword" "backstage.postgresql.auth.existingSecret")
  "password" (list "the bundled PostgreSQL's user password" "backstage.postgresql.auth.password" "backstage.postgresql.auth.existingSecret") -}}
{{- $generated := list -}}
{{- range $key, $entry := (include "backstage-keycloak.secret.data" . | fromYaml) -}}
{{- if hasKey $entry "generated" -}}{{- $generated = append $generated $key -}}{{- end -}}
{{- end -}}
{{- if not ((.Values.global.secrets | default dict).allowGenerated) -}}
{{- $missing := list -}}
{{- if $generated -}}
{{- $live := lookup "v1" "Secret" .Release.Namespace (include "backstage-keycloak.oauth2Proxy.fullname" .) | default dict -}}
{{- range $key := $generated -}}
{{- if not (dig "data" $key "" $live) -}}{{- $missing = append $missing $key -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- $pg := (.Values.backstage | default dict).postgresql | default dict -}}
{{- $pgAuth := $pg.auth | default dict -}}
{{- $pgGlobal := (.Values.global.postgresql | default dict).auth | default dict -}}
{{- if and $pg.enabled (not $pgAuth.existingSecret) (not $pgGlobal.existingSecret) -}}
{{- if and (ne (toString $pgAuth.enablePostgresUser) "false") (not $pgAuth.postgresPassword) (not $pgGlobal.postgresPassword) -}}
{{- $missing = append $missing "postgres-password" -}}
{{- end -}}
{{- if and $pgAuth.username (ne (toString $pgAuth.username) "postgres") (not $pgAuth.password) (not $pgGlobal.password) -}}
{{- $missing = append $missing "password" -}}
{{- end -}}
{{- end -}}
{{- if and $missing (not (include "backstage-keycloak.clusterReadable" .)) -}}
{{- range $key := $missing -}}
{{- $f := get $fixes $key -}}
{{- $errs = append $errs (printf "%s is empty, so %s would be generated, but this render cannot read the cluster (helm template, as Argo CD runs it, or a client-side dry run): every render would make a new one and the pods would disagree. Set %s, or name an existing Secret in %s; or accept a generated value with global.secrets.allowGenerated=true and keep it as docs/gitops.md shows" (index $f 1) (index $f 0) (index $f 1) (index $f 2)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}
