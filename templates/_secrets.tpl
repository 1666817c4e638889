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
each {name, key, existing}: existing is true when the Secret is the user's, not ours. The catalog
entry also has enabled (global.keycloak.catalogSync.enabled).
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
{{- toYaml (dict
  "clientId" (ternary (dict "name" (toString $k.existingSecret) "key" ($kcKeys.clientId | default "client-id") "existing" true) (dict "name" $ours "key" "client-id" "existing" false) (not (empty $k.existingSecret)))
  "clientSecret" (ternary (dict "name" (toString $k.existingSecret) "key" ($kcKeys.clientSecret | default "client-secret") "existing" true) (dict "name" $ours "key" "client-secret" "existing" false) (not (empty $k.existingSecret)))
  "cookieSecret" (ternary (dict "name" (toString $o.existingSecret) "key" ($cookieKeys.cookieSecret | default "cookie-secret") "existing" true) (dict "name" $ours "key" "cookie-secret" "existing" false) (not (empty $o.existingSecret)))
  "catalogClientSecret" (merge (dict "enabled" (not (empty $cs.enabled))) (ternary (dict "name" (toString $cs.existingSecret) "key" ($cs.existingSecretKey | default "catalog-client-secret") "existing" true) (dict "name" $ours "key" "catalog-client-secret" "existing" false) (not (empty $cs.existingSecret))))) -}}
{{- end -}}

{{/*
Data of our Secret "<release>-oauth2-proxy": one entry per credential that no existing Secret
provides, as a YAML map from Secret key to {value: <plain text>}, or {generated: true} for a cookie
secret the chart generates (see backstage-keycloak.cookieSecret.value). Empty ({}) when every
credential comes from an existing Secret: the chart then renders no Secret of its own.
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
{{- if not $refs.cookieSecret.existing -}}
{{- if $o.cookieSecret -}}
{{- $_ := set $data "cookie-secret" (dict "value" (toString $o.cookieSecret)) -}}
{{- else -}}
{{- $_ := set $data "cookie-secret" (dict "generated" true) -}}
{{- end -}}
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
Thin accessors of secret.refs, kept by name because values.yaml (and copies of its sidecar entry in
users' values) call them from the subchart's context.
Usage:  {{ include "backstage-keycloak.keycloak.secretName" . }}     client id/secret Secret
        {{ include "backstage-keycloak.keycloak.clientIdKey" . }}    its client id key
        {{ include "backstage-keycloak.keycloak.clientSecretKey" . }} its client secret key
        {{ include "backstage-keycloak.cookie.secretName" . }}       cookie secret Secret
        {{ include "backstage-keycloak.cookie.secretKey" . }}        its key
        {{ include "backstage-keycloak.catalogSync.secretName" . }}  catalog client secret Secret
        {{ include "backstage-keycloak.catalogSync.secretKey" . }}   its key
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.keycloak.secretName" -}}
{{- (include "backstage-keycloak.secret.refs" . | fromYaml).clientSecret.name -}}
{{- end -}}
{{- define "backstage-keycloak.keycloak.clientIdKey" -}}
{{- (include "backstage-keycloak.secret.refs" . | fromYaml).clientId.key -}}
{{- end -}}
{{- define "backstage-keycloak.keycloak.clientSecretKey" -}}
{{- (include "backstage-keycloak.secret.refs" . | fromYaml).clientSecret.key -}}
{{- end -}}
{{- define "backstage-keycloak.cookie.secretName" -}}
{{- (include "backstage-keycloak.secret.refs" . | fromYaml).cookieSecret.name -}}
{{- end -}}
{{- define "backstage-keycloak.cookie.secretKey" -}}
{{- (include "backstage-keycloak.secret.refs" . | fromYaml).cookieSecret.key -}}
{{- end -}}
{{- define "backstage-keycloak.catalogSync.secretName" -}}
{{- (include "backstage-keycloak.secret.refs" . | fromYaml).catalogClientSecret.name -}}
{{- end -}}
{{- define "backstage-keycloak.catalogSync.secretKey" -}}
{{- (include "backstage-keycloak.secret.refs" . | fromYaml).catalogClientSecret.key -}}
{{- end -}}

{{/*
Cookie secret value for our Secret, in this order of precedence:
  1. global.oauth2Proxy.cookieSecret when set;
  2. the value already stored in the live Secret "<release>-oauth2-proxy" (kept across upgrades);
  3. 32 random alphanumeric characters (they decode as base64url to 24 bytes, a valid AES key).
`helm template` and client-side dry runs cannot look up, so they show a fresh value each time.
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
{{- $fields := dict "client-id" "clientId" "client-secret" "clientSecret" "cookie-secret" "cookieSecret" "catalog-client-secret" "catalogClientSecret" -}}
{{- range $key, $entry := (include "backstage-keycloak.secret.data" . | fromYaml) -}}
{{- $_ := set $in (get $fields $key) (ternary "generated" $entry.value (hasKey $entry "generated")) -}}
{{- end -}}
{{- $existing := list -}}
{{- range $ref := (list $refs.clientSecret $refs.cookieSecret $refs.catalogClientSecret) -}}
{{- if and $ref.existing (ne (toString (get $ref "enabled")) "false") -}}{{- $existing = append $existing $ref.name -}}{{- end -}}
{{- end -}}
{{- range $name := ($existing | uniq) -}}
{{- $live := lookup "v1" "Secret" $.Release.Namespace $name | default dict -}}
{{- $_ := set $in (printf "live/%s" $name) (dig "data" dict $live) -}}
{{- end -}}
{{- toJson $in | sha256sum -}}
{{- end -}}
