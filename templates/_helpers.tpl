{{/*
Helpers of backstage-keycloak.

Most helpers are called twice: from this chart's templates, and from the upstream Backstage chart,
which runs `tpl` over extraContainers, appConfig and podAnnotations in ITS OWN context. There,
.Values is the Backstage chart's values plus `global`, .Chart is the Backstage chart, and .Release is
shared. So every helper below that the subchart calls reads only .Values.global.* and .Release.*,
and gives the same answer from both places.
*/}}

{{/*
Name of the objects this chart renders for the proxy (Secret, ConfigMap): "<release>-oauth2-proxy".
The release name is cut to 50 characters so the 13-character suffix fits the 63-character limit.
Usage: {{ include "backstage-keycloak.oauth2Proxy.fullname" . }}
*/}}
{{- define "backstage-keycloak.oauth2Proxy.fullname" -}}
{{- printf "%s-oauth2-proxy" (.Release.Name | trunc 50 | trimSuffix "-") -}}
{{- end -}}

{{/*
Name the upstream chart gives its Deployment and Service: "<release>-backstage", or "<release>" when
the release name already contains the chart name; fullnameOverride wins. Umbrella context only.
Usage: {{ include "backstage-keycloak.backstage.fullname" . }}
*/}}
{{- define "backstage-keycloak.backstage.fullname" -}}
{{- $b := .Values.backstage | default dict -}}
{{- if $b.fullnameOverride -}}
{{- $b.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default "backstage" $b.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Labels that select the Backstage pods of this release (set by the upstream chart). Umbrella context.
Usage: {{ include "backstage-keycloak.backstage.selectorLabels" . | nindent 6 }}
*/}}
{{- define "backstage-keycloak.backstage.selectorLabels" -}}
app.kubernetes.io/name: {{ default "backstage" (.Values.backstage | default dict).nameOverride }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: backstage
{{- end -}}

{{/*
Standard labels of the objects this chart renders itself. Umbrella context.
Usage: {{ include "backstage-keycloak.labels" . | nindent 4 }}
*/}}
{{- define "backstage-keycloak.labels" -}}
app.kubernetes.io/name: backstage-keycloak
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: backstage-keycloak
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/*
Scheme of the public URL: https, or http when global.allowInsecureHttp is set.
Usage: {{ include "backstage-keycloak.scheme" . }}
*/}}
{{- define "backstage-keycloak.scheme" -}}
{{- ternary "http" "https" (.Values.global.allowInsecureHttp | default false) -}}
{{- end -}}

{{/*
Public URL of Backstage: <scheme>://<global.host>. Base of app.baseUrl, backend.baseUrl and the
redirect URL.
Usage: {{ include "backstage-keycloak.publicUrl" . }}
*/}}
{{- define "backstage-keycloak.publicUrl" -}}
{{- printf "%s://%s" (include "backstage-keycloak.scheme" .) .Values.global.host -}}
{{- end -}}

{{/*
global.host without its port: the Ingress host.
Usage: {{ include "backstage-keycloak.hostname" . }}
*/}}
{{- define "backstage-keycloak.hostname" -}}
{{- regexReplaceAll ":[0-9]+$" (.Values.global.host | default "") "" -}}
{{- end -}}

{{/*
The redirect URI oauth2-proxy sends to Keycloak, which must be registered on the Keycloak client.
Usage: {{ include "backstage-keycloak.redirectUrl" . }}
*/}}
{{- define "backstage-keycloak.redirectUrl" -}}
{{- printf "%s/oauth2/callback" (include "backstage-keycloak.publicUrl" .) -}}
{{- end -}}

{{/*
Realm path of the issuer ("/realms/<name>", with any prefix such as "/auth" left out), or "".
Usage: {{ include "backstage-keycloak.keycloak.realmPath" . }}
*/}}
{{- define "backstage-keycloak.keycloak.realmPath" -}}
{{- regexFind "/realms/[^/]+$" (.Values.global.keycloak.issuerUrl | default "") -}}
{{- end -}}

{{/*
Base URL the pods use for Keycloak: global.keycloak.internalUrl, else the issuer's origin and path
prefix (everything before /realms/).
Usage: {{ include "backstage-keycloak.keycloak.baseUrl" . }}
*/}}
{{- define "backstage-keycloak.keycloak.baseUrl" -}}
{{- $k := .Values.global.keycloak -}}
{{- if $k.internalUrl -}}{{- trimSuffix "/" $k.internalUrl -}}{{- else -}}{{- regexReplaceAll "/realms/[^/]+$" ($k.issuerUrl | default "") "" -}}{{- end -}}
{{- end -}}

{{/*
Realm name, from the issuer URL (".../realms/<name>").
Usage: {{ include "backstage-keycloak.keycloak.realm" . }}
*/}}
{{- define "backstage-keycloak.keycloak.realm" -}}
{{- include "backstage-keycloak.keycloak.realmPath" . | trimPrefix "/realms/" -}}
{{- end -}}

{{/*
Secret and key of the catalog client's secret: catalogSync.existingSecret, or ours.
Usage: {{ include "backstage-keycloak.catalogSync.secretName" . }}
*/}}
{{- define "backstage-keycloak.catalogSync.secretName" -}}
{{- ((.Values.global.keycloak.catalogSync | default dict).existingSecret) | default (include "backstage-keycloak.oauth2Proxy.fullname" .) -}}
{{- end -}}
{{- define "backstage-keycloak.catalogSync.secretKey" -}}
{{- $c := .Values.global.keycloak.catalogSync | default dict -}}
{{- ternary ($c.existingSecretKey | default "catalog-client-secret") "catalog-client-secret" (not (empty $c.existingSecret)) -}}
{{- end -}}

{{/*
oauth2-proxy image reference: registry/repository:tag, or @digest when a digest is given.
Usage: {{ include "backstage-keycloak.oauth2Proxy.image" . }}
*/}}
{{- define "backstage-keycloak.oauth2Proxy.image" -}}
{{- $i := .Values.global.oauth2Proxy.image -}}
{{- $repo := ternary $i.repository (printf "%s/%s" $i.registry $i.repository) (empty $i.registry) -}}
{{- if $i.digest -}}
{{- printf "%s@%s" $repo $i.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo $i.tag -}}
{{- end -}}
{{- end -}}

{{/*
Secret holding the Keycloak client id and secret: global.keycloak.existingSecret, or ours.
Usage: {{ include "backstage-keycloak.keycloak.secretName" . }}
*/}}
{{- define "backstage-keycloak.keycloak.secretName" -}}
{{- .Values.global.keycloak.existingSecret | default (include "backstage-keycloak.oauth2Proxy.fullname" .) -}}
{{- end -}}

{{/*
Key of the client id in the Keycloak credentials Secret.
Usage: {{ include "backstage-keycloak.keycloak.clientIdKey" . }}
*/}}
{{- define "backstage-keycloak.keycloak.clientIdKey" -}}
{{- ternary ((.Values.global.keycloak.existingSecretKeys).clientId | default "client-id") "client-id" (not (empty .Values.global.keycloak.existingSecret)) -}}
{{- end -}}

{{/*
Key of the client secret in the Keycloak credentials Secret.
Usage: {{ include "backstage-keycloak.keycloak.clientSecretKey" . }}
*/}}
{{- define "backstage-keycloak.keycloak.clientSecretKey" -}}
{{- ternary ((.Values.global.keycloak.existingSecretKeys).clientSecret | default "client-secret") "client-secret" (not (empty .Values.global.keycloak.existingSecret)) -}}
{{- end -}}

{{/*
Secret holding the cookie secret: global.oauth2Proxy.existingSecret, or ours.
Usage: {{ include "backstage-keycloak.cookie.secretName" . }}
*/}}
{{- define "backstage-keycloak.cookie.secretName" -}}
{{- .Values.global.oauth2Proxy.existingSecret | default (include "backstage-keycloak.oauth2Proxy.fullname" .) -}}
{{- end -}}

{{/*
Key of the cookie secret in its Secret.
Usage: {{ include "backstage-keycloak.cookie.secretKey" . }}
*/}}
{{- define "backstage-keycloak.cookie.secretKey" -}}
{{- ternary ((.Values.global.oauth2Proxy.existingSecretKeys).cookieSecret | default "cookie-secret") "cookie-secret" (not (empty .Values.global.oauth2Proxy.existingSecret)) -}}
{{- end -}}

{{/*
Whether this chart renders its own Secret: yes unless every credential comes from an existing Secret.
Returns "true" or "".
Usage: {{ if include "backstage-keycloak.ownSecret" . }}...{{ end }}
*/}}
{{- define "backstage-keycloak.ownSecret" -}}
{{- $c := .Values.global.keycloak.catalogSync | default dict -}}
{{- if or (not .Values.global.keycloak.existingSecret) (not .Values.global.oauth2Proxy.existingSecret) (and $c.enabled (not $c.existingSecret)) -}}true{{- end -}}
{{- end -}}

{{/*
Cookie secret value for our Secret, in this order of precedence:
  1. global.oauth2Proxy.cookieSecret when set;
  2. the value already stored in the live Secret "<release>-oauth2-proxy" (kept across upgrades);
  3. 32 random alphanumeric characters (they decode as base64url to 24 bytes, a valid AES key).
`helm template` and client-side dry runs cannot look up, so they show a fresh value each time.
Umbrella context only (uses lookup on our own Secret).
Usage: {{ include "backstage-keycloak.cookieSecret.value" . }}
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
Usage: {{ include "backstage-keycloak.cookieSecret.keyLength" "the-secret" }}
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
Secure flag of the session cookie: global.oauth2Proxy.cookie.secure, or derived (true unless
global.allowInsecureHttp). Returns "true" or "false".
Usage: {{ include "backstage-keycloak.cookie.secure" . }}
*/}}
{{- define "backstage-keycloak.cookie.secure" -}}
{{- $c := .Values.global.oauth2Proxy.cookie | default dict -}}
{{- if kindIs "bool" $c.secure -}}{{- $c.secure -}}{{- else -}}{{- not (.Values.global.allowInsecureHttp | default false) -}}{{- end -}}
{{- end -}}

{{/*
oauth2-proxy settings as environment variables (data of the ConfigMap "<release>-oauth2-proxy",
loaded by the sidecar with envFrom). YAML map, keys sorted. Secrets are NOT here: the client id,
client secret and cookie secret reach the sidecar through secretKeyRef.
Usage: {{ include "backstage-keycloak.oauth2Proxy.env" . | nindent 2 }}
*/}}
{{- define "backstage-keycloak.oauth2Proxy.env" -}}
{{- $g := .Values.global -}}
{{- $k := $g.keycloak -}}
{{- $o := $g.oauth2Proxy -}}
{{- $c := $o.cookie | default dict -}}
{{- $e := dict
  "OAUTH2_PROXY_HTTP_ADDRESS" "0.0.0.0:4180"
  "OAUTH2_PROXY_METRICS_ADDRESS" "0.0.0.0:44180"
  "OAUTH2_PROXY_PROVIDER" "keycloak-oidc"
  "OAUTH2_PROXY_PROVIDER_DISPLAY_NAME" "Keycloak"
  "OAUTH2_PROXY_OIDC_ISSUER_URL" ($k.issuerUrl | default "")
  "OAUTH2_PROXY_REDIRECT_URL" (include "backstage-keycloak.redirectUrl" .)
  "OAUTH2_PROXY_UPSTREAMS" "http://127.0.0.1:7007/"
  "OAUTH2_PROXY_REVERSE_PROXY" "true"
  "OAUTH2_PROXY_SKIP_PROVIDER_BUTTON" "true"
  "OAUTH2_PROXY_CODE_CHALLENGE_METHOD" "S256"
  "OAUTH2_PROXY_SKIP_AUTH_ROUTES" "GET=^/\\.backstage/health/v1/(readiness|liveness)$"
  "OAUTH2_PROXY_API_ROUTES" "^/api/"
  "OAUTH2_PROXY_EMAIL_DOMAINS" (join "," ($o.emailDomains | default (list "*")))
  "OAUTH2_PROXY_COOKIE_NAME" ($c.name | default "_oauth2_proxy_backstage")
  "OAUTH2_PROXY_COOKIE_SECURE" (include "backstage-keycloak.cookie.secure" .)
  "OAUTH2_PROXY_COOKIE_HTTPONLY" "true"
  "OAUTH2_PROXY_COOKIE_SAMESITE" ($c.sameSite | default "lax")
  "OAUTH2_PROXY_COOKIE_REFRESH" (toString ($c.refresh | default "0"))
  "OAUTH2_PROXY_COOKIE_EXPIRE" (toString ($c.expire | default "30m"))
  "OAUTH2_PROXY_PASS_USER_HEADERS" "true"
  "OAUTH2_PROXY_PASS_ACCESS_TOKEN" "false"
  "OAUTH2_PROXY_PASS_AUTHORIZATION_HEADER" "false"
  "OAUTH2_PROXY_SET_AUTHORIZATION_HEADER" "false"
  "OAUTH2_PROXY_SKIP_JWT_BEARER_TOKENS" "false"
  "OAUTH2_PROXY_SILENCE_PING_LOGGING" "true"
-}}
{{- with $k.allowedGroups }}{{ $_ := set $e "OAUTH2_PROXY_ALLOWED_GROUPS" (join "," .) }}{{ end -}}
{{- with $k.allowedRoles }}{{ $_ := set $e "OAUTH2_PROXY_ALLOWED_ROLES" (join "," .) }}{{ end -}}
{{- with $c.domains }}{{ $_ := set $e "OAUTH2_PROXY_COOKIE_DOMAINS" (join "," .) }}{{ end -}}
{{- with $o.trustedProxyIPs }}{{ $_ := set $e "OAUTH2_PROXY_TRUSTED_PROXY_IPS" (join "," .) }}{{ end -}}
{{- if $k.internalUrl -}}
{{- $realm := include "backstage-keycloak.keycloak.realmPath" . -}}
{{- $internal := printf "%s%s/protocol/openid-connect" (trimSuffix "/" $k.internalUrl) $realm -}}
{{- $_ := set $e "OAUTH2_PROXY_SKIP_OIDC_DISCOVERY" "true" -}}
{{- $_ := set $e "OAUTH2_PROXY_LOGIN_URL" (printf "%s/protocol/openid-connect/auth" $k.issuerUrl) -}}
{{- $_ := set $e "OAUTH2_PROXY_REDEEM_URL" (printf "%s/token" $internal) -}}
{{- $_ := set $e "OAUTH2_PROXY_OIDC_JWKS_URL" (printf "%s/certs" $internal) -}}
{{- $_ := set $e "OAUTH2_PROXY_PROFILE_URL" (printf "%s/userinfo" $internal) -}}
{{- $_ := set $e "OAUTH2_PROXY_VALIDATE_URL" (printf "%s/userinfo" $internal) -}}
{{- end -}}
{{- range $name, $value := ($o.extraEnv | default dict) -}}
{{- $_ := set $e $name (toString $value) -}}
{{- end -}}
{{- toYaml $e -}}
{{- end -}}

{{/*
True ("true") in global.signIn.mode verifiedToken.
Usage: {{ if include "backstage-keycloak.verifiedToken" . }}...{{ end }}
*/}}
{{- define "backstage-keycloak.verifiedToken" -}}
{{- if eq ((.Values.global.signIn | default dict).mode | default "oauth2Proxy") "verifiedToken" -}}true{{- end -}}
{{- end -}}

{{/*
Backstage sign-in provider the frontend uses: oauth2Proxy, or oidcProxy in verifiedToken mode.
Usage: {{ include "backstage-keycloak.signInProvider" . }}
*/}}
{{- define "backstage-keycloak.signInProvider" -}}
{{- ternary "oidcProxy" "oauth2Proxy" (eq (include "backstage-keycloak.verifiedToken" .) "true") -}}
{{- end -}}

{{/*
Path of the sidecar's alpha config in verifiedToken mode; empty (legacy configuration) otherwise.
Usage: --alpha-config={{ include "backstage-keycloak.oauth2Proxy.alphaConfigPath" . }}
*/}}
{{- define "backstage-keycloak.oauth2Proxy.alphaConfigPath" -}}
{{- if include "backstage-keycloak.verifiedToken" . -}}/etc/oauth2-proxy/alpha-config.yaml{{- end -}}
{{- end -}}

{{/*
JWKS URL of the realm: in-cluster when global.keycloak.internalUrl is set, else under the issuer.
Usage: {{ include "backstage-keycloak.keycloak.jwksUrl" . }}
*/}}
{{- define "backstage-keycloak.keycloak.jwksUrl" -}}
{{- $k := .Values.global.keycloak -}}
{{- if $k.internalUrl -}}
{{- printf "%s%s/protocol/openid-connect/certs" (trimSuffix "/" $k.internalUrl) (include "backstage-keycloak.keycloak.realmPath" .) -}}
{{- else -}}
{{- printf "%s/protocol/openid-connect/certs" ($k.issuerUrl | default "") -}}
{{- end -}}
{{- end -}}

{{/*
The sidecar's alpha config (verifiedToken mode): listeners, upstream, the Keycloak provider and the
request headers, including the ID token under global.signIn.idTokenHeader. Client id and secret are
${...} references that oauth2-proxy substitutes from its env (secretKeyRef), never literals. The
settings alpha config does not cover (cookie, routes, email domains) still come from the env
ConfigMap.
Usage: {{ include "backstage-keycloak.oauth2Proxy.alphaConfig" . }}
*/}}
{{- define "backstage-keycloak.oauth2Proxy.alphaConfig" -}}
{{- $k := .Values.global.keycloak -}}
{{- $header := (.Values.global.signIn | default dict).idTokenHeader | default "x-oidc-id-token" -}}
{{- $claims := list (list "X-Forwarded-User" "user") (list "X-Forwarded-Email" "email") (list "X-Forwarded-Preferred-Username" "preferred_username") (list "X-Forwarded-Groups" "groups") (list $header "id_token") -}}
{{- $headers := list -}}
{{- range $claims -}}
{{- $headers = append $headers (dict "name" (index . 0) "preserveRequestValue" false "values" (list (dict "claimSource" (dict "claim" (index . 1))))) -}}
{{- end -}}
{{- $oidc := dict "issuerURL" ($k.issuerUrl | default "") "emailClaim" "email" "groupsClaim" "groups" "audienceClaims" (list "aud") -}}
{{- $provider := dict "id" "keycloak" "provider" "keycloak-oidc" "name" "Keycloak" "clientID" "${OAUTH2_PROXY_CLIENT_ID}" "clientSecret" "${OAUTH2_PROXY_CLIENT_SECRET}" "code_challenge_method" "S256" "oidcConfig" $oidc -}}
{{- with $k.allowedGroups }}{{ $_ := set $provider "allowedGroups" . }}{{ end -}}
{{- with $k.allowedRoles }}{{ $_ := set $provider "keycloakConfig" (dict "roles" .) }}{{ end -}}
{{- if $k.internalUrl -}}
{{- $internal := printf "%s%s/protocol/openid-connect" (trimSuffix "/" $k.internalUrl) (include "backstage-keycloak.keycloak.realmPath" .) -}}
{{- $_ := set $oidc "skipDiscovery" true -}}
{{- $_ := set $oidc "jwksURL" (printf "%s/certs" $internal) -}}
{{- $_ := set $provider "loginURL" (printf "%s/protocol/openid-connect/auth" $k.issuerUrl) -}}
{{- $_ := set $provider "redeemURL" (printf "%s/token" $internal) -}}
{{- $_ := set $provider "profileURL" (printf "%s/userinfo" $internal) -}}
{{- $_ := set $provider "validateURL" (printf "%s/userinfo" $internal) -}}
{{- end -}}
{{- toYaml (dict
  "server" (dict "bindAddress" "0.0.0.0:4180")
  "metricsServer" (dict "bindAddress" "0.0.0.0:44180")
  "upstreamConfig" (dict "upstreams" (list (dict "id" "backstage" "path" "/" "uri" "http://127.0.0.1:7007/")))
  "injectRequestHeaders" $headers
  "providers" (list $provider)) -}}
{{- end -}}

{{/*
Checksum of the proxy's settings (the ConfigMap data): changes exactly when a setting changes.
Usage: {{ include "backstage-keycloak.checksum.config" . }}
*/}}
{{- define "backstage-keycloak.checksum.config" -}}
{{- print (include "backstage-keycloak.oauth2Proxy.env" .) (include "backstage-keycloak.oauth2Proxy.alphaConfigPath" .) (ternary (include "backstage-keycloak.oauth2Proxy.alphaConfig" .) "" (eq (include "backstage-keycloak.verifiedToken" .) "true")) | sha256sum -}}
{{- end -}}

{{/*
Checksum of the secret INPUTS: the values that feed our Secret (a generated cookie secret counts as
the constant "generated", because it never changes once stored), the names and keys of existing
Secrets, and, when the cluster can be read, the live data of those existing Secrets. It changes when
a secret changes and stays put on an unchanged upgrade, including the first one after install.
Rotating a GENERATED cookie secret (deleting the Secret) needs a `kubectl rollout restart`.
Usage: {{ include "backstage-keycloak.checksum.secret" . }}
*/}}
{{- define "backstage-keycloak.checksum.secret" -}}
{{- $k := .Values.global.keycloak -}}
{{- $o := .Values.global.oauth2Proxy -}}
{{- $in := dict
  "keycloakSecret" (include "backstage-keycloak.keycloak.secretName" .)
  "clientIdKey" (include "backstage-keycloak.keycloak.clientIdKey" .)
  "clientSecretKey" (include "backstage-keycloak.keycloak.clientSecretKey" .)
  "cookieSecretName" (include "backstage-keycloak.cookie.secretName" .)
  "cookieSecretKey" (include "backstage-keycloak.cookie.secretKey" .)
-}}
{{- if not $k.existingSecret -}}
{{- $_ := set $in "clientId" ($k.clientId | default "") -}}
{{- $_ := set $in "clientSecret" ($k.clientSecret | default "") -}}
{{- end -}}
{{- if not $o.existingSecret -}}
{{- $_ := set $in "cookieSecret" ($o.cookieSecret | default "generated") -}}
{{- end -}}
{{- $cs := $k.catalogSync | default dict -}}
{{- if and $cs.enabled (not $cs.existingSecret) -}}
{{- $_ := set $in "catalogClientSecret" ($cs.clientSecret | default "") -}}
{{- end -}}
{{- range $name := (list $k.existingSecret $o.existingSecret (ternary $cs.existingSecret "" (not (empty $cs.enabled))) | compact | uniq) -}}
{{- $live := lookup "v1" "Secret" $.Release.Namespace $name | default dict -}}
{{- $_ := set $in (printf "live/%s" $name) (dig "data" dict $live) -}}
{{- end -}}
{{- toJson $in | sha256sum -}}
{{- end -}}

{{/*
Parses a Go duration made of h/m/s parts ("4m", "1h30m", "168h0m0s") into seconds; -1 when it is
not of that form.
Usage: {{ include "backstage-keycloak.durationSeconds" "1h30m" }}
*/}}
{{- define "backstage-keycloak.durationSeconds" -}}
{{- $d := toString . -}}
{{- if eq $d "0" -}}0
{{- else if regexMatch "^([0-9]+h)?([0-9]+m)?([0-9]+s)?$" $d -}}
{{- $h := regexFind "[0-9]+h" $d | trimSuffix "h" | default "0" | atoi -}}
{{- $m := regexFind "[0-9]+m" $d | trimSuffix "m" | default "0" | atoi -}}
{{- $s := regexFind "[0-9]+s" $d | trimSuffix "s" | default "0" | atoi -}}
{{- add (mul $h 3600) (mul $m 60) $s -}}
{{- else -}}-1
{{- end -}}
{{- end -}}

{{/*
Validates the values and fails the render with every problem found, each naming the value and the
fix. Called from every template of this chart, so no command renders a broken release.
Usage: {{ include "backstage-keycloak.validate" . }}
*/}}
{{- define "backstage-keycloak.validate" -}}
{{- $errs := list -}}
{{- $g := .Values.global -}}
{{- $k := $g.keycloak -}}
{{- $o := $g.oauth2Proxy -}}
{{- $c := $o.cookie | default dict -}}
{{- $b := (.Values.backstage | default dict).backstage | default dict -}}
{{- /* placeholders of values/values-backstage-keycloak.yaml */ -}}
{{- range $path, $v := dict "global.host" $g.host "global.keycloak.issuerUrl" $k.issuerUrl "global.keycloak.clientId" $k.clientId "global.keycloak.clientSecret" $k.clientSecret "global.keycloak.existingSecret" $k.existingSecret "global.oauth2Proxy.cookieSecret" $o.cookieSecret "global.oauth2Proxy.existingSecret" $o.existingSecret "global.keycloak.catalogSync.clientSecret" (($k.catalogSync | default dict).clientSecret) -}}
{{- if hasPrefix "<REQUIRED" (toString $v) -}}
{{- $errs = append $errs (printf "%s still holds the placeholder %q: replace it with your value" $path (toString $v)) -}}
{{- end -}}
{{- end -}}
{{- if $errs -}}
{{- fail (printf "\n\nbackstage-keycloak: fill in the placeholders of values-backstage-keycloak.yaml:\n  - %s\n" (join "\n  - " $errs)) -}}
{{- end -}}
{{- $mode := ($g.signIn | default dict).mode | default "oauth2Proxy" -}}
{{- if not (has $mode (list "oauth2Proxy" "verifiedToken")) -}}
{{- $errs = append $errs (printf "global.signIn.mode=%q: use oauth2Proxy (identity headers) or verifiedToken (verified Keycloak ID token)" $mode) -}}
{{- end -}}
{{- /* public host */ -}}
{{- if not $g.host -}}
{{- $errs = append $errs "global.host is required: set it to the public host name of Backstage, e.g. --set global.host=backstage.example.com" -}}
{{- else if not (regexMatch "^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$" $g.host) -}}
{{- $errs = append $errs (printf "global.host=%q is not a host name: give only the host (and optional :port), without scheme or path, e.g. backstage.example.com" $g.host) -}}
{{- end -}}
{{- /* issuer */ -}}
{{- $issuer := $k.issuerUrl | default "" -}}
{{- if not $issuer -}}
{{- $errs = append $errs "global.keycloak.issuerUrl is required: set it to the realm's issuer, e.g. https://keycloak.example.com/realms/backstage" -}}
{{- else if not (regexMatch "^https?://[^/]+" $issuer) -}}
{{- $errs = append $errs (printf "global.keycloak.issuerUrl=%q is not an http(s) URL: use https://<keycloak host>/realms/<realm>" $issuer) -}}
{{- else -}}
{{- if hasSuffix "/" $issuer -}}
{{- $errs = append $errs (printf "global.keycloak.issuerUrl=%q ends with \"/\": remove the trailing slash; oauth2-proxy compares it exactly with the issuer Keycloak publishes (%s)" $issuer (trimSuffix "/" $issuer)) -}}
{{- end -}}
{{- if and (hasPrefix "http://" $issuer) (not $g.allowInsecureHttp) -}}
{{- $errs = append $errs (printf "global.keycloak.issuerUrl=%q uses plain http: use https, or set global.allowInsecureHttp=true for local development only" $issuer) -}}
{{- end -}}
{{- end -}}
{{- if $k.internalUrl -}}
{{- if not (regexMatch "^https?://[^/]+(/.*)?$" $k.internalUrl) -}}
{{- $errs = append $errs (printf "global.keycloak.internalUrl=%q is not an http(s) URL: give the base URL pods use to reach Keycloak, e.g. http://keycloak.keycloak.svc:8080" $k.internalUrl) -}}
{{- else if hasSuffix "/" $k.internalUrl -}}
{{- $errs = append $errs (printf "global.keycloak.internalUrl=%q ends with \"/\": remove the trailing slash" $k.internalUrl) -}}
{{- else if contains "/realms/" $k.internalUrl -}}
{{- $errs = append $errs (printf "global.keycloak.internalUrl=%q contains /realms/: give only Keycloak's base URL; the realm path is taken from global.keycloak.issuerUrl" $k.internalUrl) -}}
{{- end -}}
{{- if and $issuer (not (include "backstage-keycloak.keycloak.realmPath" .)) -}}
{{- $errs = append $errs (printf "global.keycloak.internalUrl is set but global.keycloak.issuerUrl=%q does not end in /realms/<realm>: the in-cluster token, JWKS and userinfo URLs are derived from that path" $issuer) -}}
{{- end -}}
{{- end -}}
{{- /* client credentials */ -}}
{{- if $k.existingSecret -}}
{{- if $k.clientSecret -}}
{{- $errs = append $errs (printf "global.keycloak.clientSecret and global.keycloak.existingSecret=%q are both set: keep one (existingSecret is read from the cluster; clientSecret is stored in a Secret this chart renders)" $k.existingSecret) -}}
{{- end -}}
{{- else -}}
{{- if not $k.clientId -}}
{{- $errs = append $errs "global.keycloak.clientId is required: set it to the id of the confidential client in the realm (e.g. backstage), or name a Secret holding it in global.keycloak.existingSecret" -}}
{{- end -}}
{{- if not $k.clientSecret -}}
{{- $errs = append $errs "global.keycloak.clientSecret is empty and global.keycloak.existingSecret is not set: give the client secret from Keycloak (Clients > <client> > Credentials), or the name of an existing Secret holding it" -}}
{{- end -}}
{{- end -}}
{{- $cs := $k.catalogSync | default dict -}}
{{- if $cs.enabled -}}
{{- if and (not $cs.clientSecret) (not $cs.existingSecret) -}}
{{- $errs = append $errs (printf "global.keycloak.catalogSync is enabled but has no client secret: give the secret of the client %q (service account with realm-management view-users, query-users, query-groups) in global.keycloak.catalogSync.clientSecret or existingSecret, or set global.keycloak.catalogSync.enabled=false and fill the catalog yourself" ($cs.clientId | default "")) -}}
{{- else if and $cs.clientSecret $cs.existingSecret -}}
{{- $errs = append $errs "global.keycloak.catalogSync.clientSecret and existingSecret are both set: keep one" -}}
{{- end -}}
{{- end -}}
{{- /* cookie */ -}}
{{- if and $o.cookieSecret $o.existingSecret -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.cookieSecret and global.oauth2Proxy.existingSecret=%q are both set: keep one" $o.existingSecret) -}}
{{- else if $o.cookieSecret -}}
{{- $len := include "backstage-keycloak.cookieSecret.keyLength" (toString $o.cookieSecret) | atoi -}}
{{- if not (has $len (list 16 24 32)) -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.cookieSecret gives a %d-byte key, but oauth2-proxy needs 16, 24 or 32 bytes (it decodes unpadded base64url, otherwise uses the raw bytes; '+', '/' or a trailing newline make it raw). Leave it empty to generate one, or use: openssl rand -base64 32 | tr -- '+/' '-_' | tr -d '=\\n'" $len) -}}
{{- end -}}
{{- end -}}
{{- if not (has ($c.sameSite | default "lax") (list "lax" "strict" "none")) -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.cookie.sameSite=%q: use lax, strict or none" $c.sameSite) -}}
{{- else if and (eq ($c.sameSite | default "lax") "none") (eq (include "backstage-keycloak.cookie.secure" .) "false") -}}
{{- $errs = append $errs "global.oauth2Proxy.cookie.sameSite=none needs a Secure cookie: browsers drop it otherwise; use lax" -}}
{{- end -}}
{{- $refresh := include "backstage-keycloak.durationSeconds" ($c.refresh | default "0") | atoi -}}
{{- $expire := include "backstage-keycloak.durationSeconds" ($c.expire | default "30m") | atoi -}}
{{- if or (lt $refresh 0) (lt $expire 0) -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.cookie.refresh=%q / expire=%q: use durations such as 4m, 30m, 1h30m" (toString $c.refresh) (toString $c.expire)) -}}
{{- else if and (gt $refresh 0) (ge $refresh $expire) -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.cookie.refresh=%q must be shorter than cookie.expire=%q (oauth2-proxy refuses to start otherwise)" (toString $c.refresh) (toString $c.expire)) -}}
{{- end -}}
{{- /* image */ -}}
{{- $tag := ($o.image | default dict).tag | default "" | toString -}}
{{- if and (not ($o.image | default dict).digest) (regexMatch "^v?[0-9]+\\.[0-9]+\\.[0-9]+$" $tag) (not (semverCompare ">=7.15.2-0" $tag)) -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.image.tag=%q is older than v7.15.2, which fixed several auth-bypass advisories: use v7.15.3" $tag) -}}
{{- end -}}
{{- /* settings that break Backstage */ -}}
{{- $forbidden := dict "OAUTH2_PROXY_PASS_AUTHORIZATION_HEADER" "--pass-authorization-header" "OAUTH2_PROXY_SET_AUTHORIZATION_HEADER" "--set-authorization-header" "OAUTH2_PROXY_SKIP_JWT_BEARER_TOKENS" "--skip-jwt-bearer-tokens" -}}
{{- range $name, $value := ($o.extraEnv | default dict) -}}
{{- if not (hasPrefix "OAUTH2_PROXY_" $name) -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.extraEnv.%s: only OAUTH2_PROXY_* settings belong here" $name) -}}
{{- else if and (hasKey $forbidden $name) (ne (toString $value | lower) "false") -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.extraEnv.%s=%v (%s) breaks Backstage: oauth2-proxy would overwrite the Backstage token in the Authorization header (or accept bearer tokens instead of the session). Remove it" $name $value (get $forbidden $name)) -}}
{{- else if has $name (list "OAUTH2_PROXY_CLIENT_SECRET" "OAUTH2_PROXY_COOKIE_SECRET" "OAUTH2_PROXY_CLIENT_ID") -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.extraEnv.%s: secrets never go into the ConfigMap; use global.keycloak.clientId/clientSecret/existingSecret or global.oauth2Proxy.cookieSecret/existingSecret" $name) -}}
{{- end -}}
{{- end -}}
{{- $sidecar := false -}}
{{- range $ctr := ($b.extraContainers | default list) -}}
{{- if eq (toString $ctr.name) "oauth2-proxy" -}}{{- $sidecar = true -}}{{- end -}}
{{- range $arg := ($ctr.args | default list) -}}
{{- range $name, $flag := $forbidden -}}
{{- if and (hasPrefix $flag (toString $arg)) (not (hasSuffix "=false" (toString $arg))) -}}
{{- $errs = append $errs (printf "backstage.backstage.extraContainers[%s].args has %q: it breaks Backstage (the Backstage token in Authorization would be replaced, or bearer tokens accepted). Remove it" $ctr.name $arg) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $env := ($ctr.env | default list) -}}
{{- if and (hasKey $forbidden (toString $env.name)) $env.value (ne (toString $env.value | lower) "false") -}}
{{- $errs = append $errs (printf "backstage.backstage.extraContainers[%s].env %s=%v breaks Backstage: remove it" $ctr.name $env.name $env.value) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if not $sidecar -}}
{{- $errs = append $errs "backstage.backstage.extraContainers has no container named oauth2-proxy: Helm replaces lists, so copy the default oauth2-proxy entry from the chart's values.yaml into yours and append your containers after it" -}}
{{- end -}}
{{- /* Backstage must be reachable only through the proxy */ -}}
{{- $listen := ((($b.appConfig | default dict).backend | default dict).listen | default dict).host | default "" | toString -}}
{{- if not (has $listen (list "127.0.0.1" "::1" "localhost")) -}}
{{- $errs = append $errs (printf "backstage.backstage.appConfig.backend.listen.host=%q: Backstage trusts the proxy's identity headers blindly, so it must listen on loopback only; set it to 127.0.0.1" $listen) -}}
{{- end -}}
{{- if $g.allowInsecureHttp -}}
{{- $csp := ((($b.appConfig | default dict).backend | default dict).csp | default dict) -}}
{{- if not (and (hasKey $csp "upgrade-insecure-requests") (eq (toString (index $csp "upgrade-insecure-requests")) "false")) -}}
{{- $errs = append $errs "global.allowInsecureHttp=true needs backstage.backstage.appConfig.backend.csp.upgrade-insecure-requests: false: Backstage's default Content-Security-Policy makes browsers load its scripts over https, so the app stays blank over http (see values/kind.yaml)" -}}
{{- end -}}
{{- end -}}
{{- $target := ((((.Values.backstage | default dict).service | default dict).ports | default dict).targetPort) | default "" | toString -}}
{{- if ne $target "oauth2-proxy" -}}
{{- $errs = append $errs (printf "backstage.service.ports.targetPort=%q: the Service must send traffic to the sidecar's port \"oauth2-proxy\", never to Backstage directly" $target) -}}
{{- end -}}
{{- if $errs -}}
{{- fail (printf "\n\nbackstage-keycloak: invalid values:\n  - %s\n" (join "\n  - " $errs)) -}}
{{- end -}}
{{- end -}}
