{{/*
Credentials: where each one lives (our Secret "<release>-oauth2-proxy" or an existing Secret the user
names), what our Secret holds, and the checksum that rolls the pod when a credential changes.
Two helpers carry the rules; everything else reads them:
  backstage-keycloak.secret.refs  Secret name and key of each credential (secretKeyRefs everywhere)
  backstage-keycloak.secret.data  the data of our Secret (the Secret template, ownSecret, checksum)
*/}}

{{/*
Secret name and key of every credential, as a YAML map:
  clientId, clientSecret     the Keycloak client (global.keycloak.existingSecret, or ours)
  cookieSecret               the session cookie secret (global.oauth2Proxy.existingSecret, or ours)
  catalogClientSecret        the catalog client (global.keycloak.catalogSync.existingSecret, or ours)
  sessionSecret              Backstage's auth.session.secret in the native sign-in modes
                             (global.signIn.session.existingSecret, or ours)
  redisPassword              the Redis password of the redis session store
                             (global.oauth2Proxy.sessionStore.redis.existingSecret, or ours)
each {name, key, existing}: existing is true when the Secret is the user's, not ours. The catalog
entry also has enabled (global.keycloak.catalogSync.enabled); the cookie and session entries have
enabled (proxy modes / native modes); the Redis entry has enabled (proxy modes, sessionStore.type
redis, and a password or existingSecret given).
Usage:  {{ $refs := include "backstage-keycloak.secret.refs" . | fromYaml }}
Params: . the chart context (umbrella or subchart; reads .Values.global and .Release only).
*/}}
{{- define "backstage-keycloak.secret.refs" -}}
{{- $k := .Values.global.keycloak -}}
{{- $o := .Values.global.oauth2Proxy -}}
{{- $cs := $k.catalogSync | default dict -}}
{{- $ours := include "backstage-keycloak.oauth2Proxy.fullname" . -}}
{{- $kcKeys := $k.existingSecretKeys | default dict -}}
{{- $cookieKeys := $o.existingSecretKeys | default dict -}}
{{- $session := (.Values.global.signIn | default dict).session | default dict -}}
{{- $native := eq (include "backstage-keycloak.nativeMode" .) "true" -}}
{{- $store := $o.sessionStore | default dict -}}
{{- $redis := $store.redis | default dict -}}
{{- $redisOn := and (not $native) (eq (toString ($store.type | default "cookie")) "redis") (or (not (empty $redis.password)) (not (empty $redis.existingSecret))) -}}
{{- toYaml (dict
  "redisPassword" (merge (dict "enabled" $redisOn) (ternary (dict "name" (toString $redis.existingSecret) "key" ($redis.existingSecretKey | default "redis-password") "existing" true) (dict "name" $ours "key" "redis-password" "existing" false) (not (empty $redis.existingSecret))))
  "clientId" (ternary (dict "name" (toString $k.existingSecret) "key" ($kcKeys.clientId | default "client-id") "existing" true) (dict "name" $ours "key" "client-id" "existing" false) (not (empty $k.existingSecret)))
  "clientSecret" (ternary (dict "name" (toString $k.existingSecret) "key" ($kcKeys.clientSecret | default "client-secret") "existing" true) (dict "name" $ours "key" "client-secret" "existing" false) (not (empty $k.existingSecret)))
  "cookieSecret" (merge (dict "enabled" (not $native)) (ternary (dict "name" (toString $o.existingSecret) "key" ($cookieKeys.cookieSecret | default "cookie-secret") "existing" true) (dict "name" $ours "key" "cookie-secret" "existing" false) (not (empty $o.existingSecret))))
  "sessionSecret" (merge (dict "enabled" $native) (ternary (dict "name" (toString $session.existingSecret) "key" ($session.existingSecretKey | default "session-secret") "existing" true) (dict "name" $ours "key" "session-secret" "existing" false) (not (empty $session.existingSecret))))
  "catalogClientSecret" (merge (dict "enabled" (not (empty $cs.enabled))) (ternary (dict "name" (toString $cs.existingSecret) "key" ($cs.existingSecretKey | default "catalog-client-secret") "existing" true) (dict "name" $ours "key" "catalog-client-secret" "existing" false) (not (empty $cs.existingSecret))))) -}}
{{- end -}}

{{/*
Data of our Secret "<release>-oauth2-proxy": one entry per credential that no existing Secret
provides, as a YAML map from Secret key to {value: <plain text>}, or {generated: true} for a cookie
or session secret the chart generates (see backstage-keycloak.generatedSecret.value). The cookie
secret exists in the proxy modes only, the session secret in the native modes only (the Secret keeps
its name across modes, so an upgrade that changes the mode finds what it generated before). Empty
({}) when every credential comes from an existing Secret: the chart then renders no Secret.
Usage:  {{ $data := include "backstage-keycloak.secret.data" . | fromYaml }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.secret.data" -}}
{{- $k := .Values.global.keycloak -}}
{{- $o := .Values.global.oauth2Proxy -}}
{{- $refs := include "backstage-keycloak.secret.refs" . | fromYaml -}}
{{- $data := dict -}}
{{- if not $refs.clientId.existing -}}
{{- $_ := set $data "client-id" (dict "value" ($k.clientId | default "" | toString)) -}}
{{- $_ := set $data "client-secret" (dict "value" ($k.clientSecret | default "" | toString)) -}}
{{- end -}}
{{- if and $refs.catalogClientSecret.enabled (not $refs.catalogClientSecret.existing) -}}
{{- $_ := set $data "catalog-client-secret" (dict "value" (($k.catalogSync | default dict).clientSecret | default "" | toString)) -}}
{{- end -}}
{{- if and $refs.cookieSecret.enabled (not $refs.cookieSecret.existing) -}}
{{- if $o.cookieSecret -}}
{{- $_ := set $data "cookie-secret" (dict "value" (toString $o.cookieSecret)) -}}
{{- else -}}
{{- $_ := set $data "cookie-secret" (dict "generated" true) -}}
{{- end -}}
{{- end -}}
{{- if and $refs.sessionSecret.enabled (not $refs.sessionSecret.existing) -}}
{{- $given := ((.Values.global.signIn | default dict).session | default dict).secret -}}
{{- if $given -}}
{{- $_ := set $data "session-secret" (dict "value" (toString $given)) -}}
{{- else -}}
{{- $_ := set $data "session-secret" (dict "generated" true) -}}
{{- end -}}
{{- end -}}
{{- if and $refs.redisPassword.enabled (not $refs.redisPassword.existing) -}}
{{- $_ := set $data "redis-password" (dict "value" (toString (($o.sessionStore | default dict).redis | default dict).password)) -}}
{{- end -}}
{{- toYaml $data -}}
{{- end -}}

{{/*
Whether this chart renders its own Secret (secret.data is not empty). Returns "true" or "".
Usage:  {{ if include "backstage-keycloak.ownSecret" . }}...{{ end }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.ownSecret" -}}
{{- if include "backstage-keycloak.secret.data" . | fromYaml -}}true{{- end -}}
{{- end -}}

{{/*
Value of a secret the chart generates, for our Secret: the value already stored under `key` in the
live Secret "<release>-oauth2-proxy" (kept across upgrades, mode switches included), else 32 random
alphanumeric characters. The cookie secret keeps its own helper (a given value wins there).
Renders that cannot look up (`helm template`, client-side dry runs) show a fresh value each time,
which validate.generatedSecrets refuses unless global.secrets.allowGenerated.
Usage:  {{ include "backstage-keycloak.generatedSecret.value" (dict "ctx" $ "key" "session-secret") }}
Params: ctx  the umbrella context (looks up our own Secret). Umbrella context only.
        key  the Secret key
*/}}
{{- define "backstage-keycloak.generatedSecret.value" -}}
{{- $live := lookup "v1" "Secret" .ctx.Release.Namespace (include "backstage-keycloak.oauth2Proxy.fullname" .ctx) | default dict -}}
{{- $prev := dig "data" .key "" $live -}}
{{- if $prev -}}{{- b64dec $prev -}}{{- else -}}{{- randAlphaNum 32 -}}{{- end -}}
{{- end -}}

{{/*
Cookie secret value for our Secret, in this order of precedence:
  1. global.oauth2Proxy.cookieSecret when set;
  2. the value already stored in the live Secret "<release>-oauth2-proxy" (kept across upgrades);
  3. 32 random alphanumeric characters (they decode as base64url to 24 bytes, a valid AES key).
Renders that cannot look up (`helm template`, client-side dry runs) show a fresh value each time,
which validate.generatedSecrets refuses unless global.secrets.allowGenerated.
Usage:  {{ include "backstage-keycloak.cookieSecret.value" . }}
Params: . the umbrella context (looks up our own Secret). Umbrella context only.
*/}}
{{- define "backstage-keycloak.cookieSecret.value" -}}
{{- if .Values.global.oauth2Proxy.cookieSecret -}}
{{- .Values.global.oauth2Proxy.cookieSecret -}}
{{- else -}}
{{- $live := lookup "v1" "Secret" .Release.Namespace (include "backstage-keycloak.oauth2Proxy.fullname" .) | default dict -}}
{{- $prev := dig "data" "cookie-secret" "" $live -}}
{{- if $prev -}}{{- b64dec $prev -}}{{- else -}}{{- randAlphaNum 32 -}}{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Length in bytes of the key oauth2-proxy derives from a cookie secret (pkg/encryption SecretBytes):
trailing "=" are dropped and the rest is decoded as unpadded base64url; the decoded bytes are used
when there are 16, 24 or 32 of them, otherwise the raw string is. oauth2-proxy accepts 16, 24 or 32.
Usage:  {{ include "backstage-keycloak.cookieSecret.keyLength" "the-secret" }}
Params: . the cookie secret (a string).
*/}}
{{- define "backstage-keycloak.cookieSecret.keyLength" -}}
{{- $trimmed := regexReplaceAll "=+$" . "" -}}
{{- $n := len $trimmed -}}
{{- $decoded := -1 -}}
{{- if and (regexMatch "^[A-Za-z0-9_-]*$" $trimmed) (ne (mod $n 4) 1) -}}
{{- $decoded = div (mul $n 6) 8 | int -}}
{{- end -}}
{{- if has $decoded (list 16 24 32) -}}{{- $decoded -}}{{- else -}}{{- len . -}}{{- end -}}
{{- end -}}

{{/*
Checksum of the secret INPUTS: the data of our Secret (a generated cookie secret counts as the
constant "generated", because it never changes once stored), the names and keys of the Secrets the
proxy reads, and, when the cluster can be read, the live data of existing Secrets. It changes when
a secret changes and stays put on an unchanged upgrade, including the first one after install.
Rotating a GENERATED cookie secret (deleting the Secret) needs a `kubectl rollout restart`.
global.secretsVersion (when set) is part of it: bump it after rotating an existing Secret where the
render cannot read it (Argo CD, or any upgrade that is not re-run on a rotation) to roll the pods.
The field names are those of chart 0.1.0, so an upgrade from it does not roll the pod.
Usage:  {{ include "backstage-keycloak.checksum.secret" . }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.checksum.secret" -}}
{{- $refs := include "backstage-keycloak.secret.refs" . | fromYaml -}}
{{- $in := dict
  "keycloakSecret" $refs.clientSecret.name
  "clientIdKey" $refs.clientId.key
  "clientSecretKey" $refs.clientSecret.key
  "cookieSecretName" $refs.cookieSecret.name
  "cookieSecretKey" $refs.cookieSecret.key
-}}
{{- if $refs.sessionSecret.enabled -}}
{{- $_ := set $in "sessionSecretName" $refs.sessionSecret.name -}}
{{- $_ := set $in "sessionSecretKey" $refs.sessionSecret.key -}}
{{- $_ := unset $in "cookieSecretName" -}}
{{- $_ := unset $in "cookieSecretKey" -}}
{{- end -}}
{{- $fields := dict "client-id" "clientId" "client-secret" "clientSecret" "cookie-secret" "cookieSecret" "catalog-client-secret" "catalogClientSecret" "session-secret" "sessionSecret" "redis-password" "redisPassword" -}}
{{- range $key, $entry := (include "backstage-keycloak.secret.data" . | fromYaml) -}}
{{- $_ := set $in (get $fields $key) (ternary "generated" $entry.value (hasKey $entry "generated")) -}}
{{- end -}}
{{- $existing := list -}}
{{- range $ref := (list $refs.clientSecret $refs.cookieSecret $refs.catalogClientSecret $refs.sessionSecret $refs.redisPassword) -}}
{{- if and $ref.existing (ne (toString (get $ref "enabled")) "false") -}}{{- $existing = append $existing $ref.name -}}{{- end -}}
{{- end -}}
{{- range $name := ($existing | uniq) -}}
{{- $live := lookup "v1" "Secret" $.Release.Namespace $name | default dict -}}
{{- $_ := set $in (printf "live/%s" $name) (dig "data" dict $live) -}}
{{- end -}}
{{- with (.Values.global.secretsVersion | default "" | toString) -}}{{- $_ := set $in "secretsVersion" . -}}{{- end -}}
{{- toJson $in | sha256sum -}}
{{- end -}}
