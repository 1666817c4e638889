{{/*
Settings of the oauth2-proxy sidecar: the env ConfigMap (legacy flag configuration, both modes), the
alpha config (global.signIn.mode verifiedToken), the sign-in mode, and the config checksum.
*/}}

{{/*
Sign-in mode: global.signIn.mode, default oauth2Proxy.
Usage:  {{ include "backstage-keycloak.signInMode" . }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.signInMode" -}}
{{- (.Values.global.signIn | default dict).mode | default "oauth2Proxy" -}}
{{- end -}}

{{/*
True ("true") in global.signIn.mode verifiedToken, "" otherwise.
Usage:  {{ if include "backstage-keycloak.verifiedToken" . }}...{{ end }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.verifiedToken" -}}
{{- if eq (include "backstage-keycloak.signInMode" .) "verifiedToken" -}}true{{- end -}}
{{- end -}}

{{/*
Backstage sign-in provider of the mode: oauth2Proxy, oidcProxy (verifiedToken), oidc or oauth2. The
frontend's sign-in page uses it and Backstage serves it (and only it) under /api/auth/<provider>/.
Usage:  {{ include "backstage-keycloak.signInProvider" . }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.signInProvider" -}}
{{- get (dict "oauth2Proxy" "oauth2Proxy" "verifiedToken" "oidcProxy" "oidc" "oidc" "oauth2" "oauth2") (include "backstage-keycloak.signInMode" .) | default "oauth2Proxy" -}}
{{- end -}}

{{/*
Request header carrying the ID token in verifiedToken mode (global.signIn.idTokenHeader).
Usage:  {{ include "backstage-keycloak.idTokenHeader" . }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.idTokenHeader" -}}
{{- (.Values.global.signIn | default dict).idTokenHeader | default "x-oidc-id-token" -}}
{{- end -}}

{{/*
Path of the sidecar's alpha config in verifiedToken mode; empty (legacy configuration) otherwise.
Usage:  --alpha-config={{ include "backstage-keycloak.oauth2Proxy.alphaConfigPath" . }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.oauth2Proxy.alphaConfigPath" -}}
{{- if include "backstage-keycloak.verifiedToken" . -}}/etc/oauth2-proxy/alpha-config.yaml{{- end -}}
{{- end -}}

{{/*
Secure flag of the session cookie: global.oauth2Proxy.cookie.secure, or derived (true unless
global.allowInsecureHttp). Returns "true" or "false".
Usage:  {{ include "backstage-keycloak.cookie.secure" . }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.cookie.secure" -}}
{{- $c := .Values.global.oauth2Proxy.cookie | default dict -}}
{{- if kindIs "bool" $c.secure -}}{{- $c.secure -}}{{- else -}}{{- not (.Values.global.allowInsecureHttp | default false) -}}{{- end -}}
{{- end -}}

{{/*
Identity headers the proxy injects in both modes, as a YAML list of [header, claim]. oauth2-proxy
deletes each of them from the client's request before it injects its own.
Usage:  {{ range include "backstage-keycloak.oauth2Proxy.identityHeaders" . | fromYamlArray }}...{{ end }}
Params: . any context (constant).
*/}}
{{- define "backstage-keycloak.oauth2Proxy.identityHeaders" -}}
{{- toYaml (list (list "X-Forwarded-User" "user") (list "X-Forwarded-Email" "email") (list "X-Forwarded-Preferred-Username" "preferred_username") (list "X-Forwarded-Groups" "groups")) -}}
{{- end -}}

{{/*
oauth2-proxy settings as environment variables (data of the ConfigMap "<release>-oauth2-proxy",
loaded by the sidecar with envFrom). YAML map, keys sorted. Secrets are NOT here: the client id,
client secret and cookie secret reach the sidecar through secretKeyRef. Every key is one of
backstage-keycloak.oauth2Proxy.ownedSettings, except global.oauth2Proxy.extraEnv's and the Go
runtime's GOGC/GOMEMLIMIT (global.oauth2Proxy.goRuntime).
Usage:  {{ include "backstage-keycloak.oauth2Proxy.env" . | nindent 2 }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.oauth2Proxy.env" -}}
{{- $g := .Values.global -}}
{{- $k := $g.keycloak -}}
{{- $o := $g.oauth2Proxy -}}
{{- $c := $o.cookie | default dict -}}
{{- $kc := include "backstage-keycloak.keycloak.endpoints" . | fromYaml -}}
{{- $e := dict
  "OAUTH2_PROXY_HTTP_ADDRESS" "0.0.0.0:4180"
  "OAUTH2_PROXY_METRICS_ADDRESS" "0.0.0.0:44180"
  "OAUTH2_PROXY_PROVIDER" "keycloak-oidc"
  "OAUTH2_PROXY_PROVIDER_DISPLAY_NAME" "Keycloak"
  "OAUTH2_PROXY_OIDC_ISSUER_URL" $kc.issuer
  "OAUTH2_PROXY_REDIRECT_URL" (include "backstage-keycloak.redirectUrl" .)
  "OAUTH2_PROXY_UPSTREAMS" "http://127.0.0.1:7007/"
  "OAUTH2_PROXY_REVERSE_PROXY" (ternary "true" "false" (not (empty $o.trustedProxyIPs)))
  "OAUTH2_PROXY_SKIP_PROVIDER_BUTTON" "true"
  "OAUTH2_PROXY_CODE_CHALLENGE_METHOD" "S256"
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
  "OAUTH2_PROXY_BACKEND_LOGOUT_URL" (include "backstage-keycloak.oauth2Proxy.backendLogoutUrl" .)
-}}
{{- with $k.allowedGroups }}{{ $_ := set $e "OAUTH2_PROXY_ALLOWED_GROUPS" (join "," .) }}{{ end -}}
{{- with $k.allowedRoles }}{{ $_ := set $e "OAUTH2_PROXY_ALLOWED_ROLES" (join "," .) }}{{ end -}}
{{- with $c.domains }}{{ $_ := set $e "OAUTH2_PROXY_COOKIE_DOMAINS" (join "," .) }}{{ end -}}
{{- with $o.trustedProxyIPs }}{{ $_ := set $e "OAUTH2_PROXY_TRUSTED_PROXY_IPS" (join "," .) }}{{ end -}}
{{- if not $kc.discovery -}}
{{- $_ := set $e "OAUTH2_PROXY_SKIP_OIDC_DISCOVERY" "true" -}}
{{- $_ := set $e "OAUTH2_PROXY_LOGIN_URL" $kc.authUrl -}}
{{- $_ := set $e "OAUTH2_PROXY_REDEEM_URL" $kc.tokenUrl -}}
{{- $_ := set $e "OAUTH2_PROXY_OIDC_JWKS_URL" $kc.jwksUrl -}}
{{- $_ := set $e "OAUTH2_PROXY_PROFILE_URL" $kc.userinfoUrl -}}
{{- $_ := set $e "OAUTH2_PROXY_VALIDATE_URL" $kc.userinfoUrl -}}
{{- end -}}
{{- $store := $o.sessionStore | default dict -}}
{{- if eq (toString ($store.type | default "cookie")) "redis" -}}
{{- $_ := set $e "OAUTH2_PROXY_SESSION_STORE_TYPE" "redis" -}}
{{- $_ := set $e "OAUTH2_PROXY_REDIS_CONNECTION_URL" (toString (($store.redis | default dict).url | default "")) -}}
{{- end -}}
{{- /* Only when changed from oauth2-proxy's defaults: an unchanged release keeps its ConfigMap (and pods). */ -}}
{{- if eq (toString (($o.logging | default dict).requests)) "false" -}}
{{- $_ := set $e "OAUTH2_PROXY_REQUEST_LOGGING" "false" -}}
{{- end -}}
{{- with ($o.goRuntime | default dict) -}}
{{- with .gogc }}{{ $_ := set $e "GOGC" (toString .) }}{{ end -}}
{{- with .gomemlimit }}{{ $_ := set $e "GOMEMLIMIT" (toString .) }}{{ end -}}
{{- end -}}
{{- range $name, $value := ($o.extraEnv | default dict) -}}
{{- $_ := set $e $name (toString $value) -}}
{{- end -}}
{{- toYaml $e -}}
{{- end -}}

{{/*
The sidecar's alpha config (verifiedToken mode): listeners, upstream, the Keycloak provider and the
request headers, including the ID token under global.signIn.idTokenHeader. Client id and secret are
"${...}" references that oauth2-proxy substitutes from its env (secretKeyRef), never literals. The
settings alpha config does not cover (cookie, routes, email domains) still come from the env
ConfigMap.
Usage:  {{ include "backstage-keycloak.oauth2Proxy.alphaConfig" . }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.oauth2Proxy.alphaConfig" -}}
{{- $k := .Values.global.keycloak -}}
{{- $kc := include "backstage-keycloak.keycloak.endpoints" . | fromYaml -}}
{{- $claims := append (include "backstage-keycloak.oauth2Proxy.identityHeaders" . | fromYamlArray) (list (include "backstage-keycloak.idTokenHeader" .) "id_token") -}}
{{- $headers := list -}}
{{- range $claims -}}
{{- $headers = append $headers (dict "name" (index . 0) "preserveRequestValue" false "values" (list (dict "claimSource" (dict "claim" (index . 1))))) -}}
{{- end -}}
{{- $oidc := dict "issuerURL" $kc.issuer "emailClaim" "email" "groupsClaim" "groups" "audienceClaims" (list "aud") -}}
{{- $provider := dict "id" "keycloak" "provider" "keycloak-oidc" "name" "Keycloak" "clientID" "${OAUTH2_PROXY_CLIENT_ID}" "clientSecret" "${OAUTH2_PROXY_CLIENT_SECRET}" "code_challenge_method" "S256" "oidcConfig" $oidc "backendLogoutURL" (include "backstage-keycloak.oauth2Proxy.backendLogoutUrl" .) -}}
{{- with $k.allowedGroups }}{{ $_ := set $provider "allowedGroups" . }}{{ end -}}
{{- with $k.allowedRoles }}{{ $_ := set $provider "keycloakConfig" (dict "roles" .) }}{{ end -}}
{{- if not $kc.discovery -}}
{{- $_ := set $oidc "skipDiscovery" true -}}
{{- $_ := set $oidc "jwksURL" $kc.jwksUrl -}}
{{- $_ := set $provider "loginURL" $kc.authUrl -}}
{{- $_ := set $provider "redeemURL" $kc.tokenUrl -}}
{{- $_ := set $provider "profileURL" $kc.userinfoUrl -}}
{{- $_ := set $provider "validateURL" $kc.userinfoUrl -}}
{{- end -}}
{{- $yaml := toYaml (dict
  "server" (dict "bindAddress" "0.0.0.0:4180")
  "metricsServer" (dict "bindAddress" "0.0.0.0:44180")
  "upstreamConfig" (dict "upstreams" (list (dict "id" "backstage" "path" "/" "uri" "http://127.0.0.1:7007/")))
  "injectRequestHeaders" $headers
  "providers" (list $provider)) -}}
{{- /* oauth2-proxy substitutes ${...} into the file BEFORE parsing it as YAML: quoted, a client id such
as 123 stays a string and a secret with " #" or ": " stays whole. */ -}}
{{- range $var := list "OAUTH2_PROXY_CLIENT_ID" "OAUTH2_PROXY_CLIENT_SECRET" -}}
{{- $yaml = replace (printf ": ${%s}\n" $var) (printf ": \"${%s}\"\n" $var) $yaml -}}
{{- end -}}
{{- $yaml -}}
{{- end -}}

{{/*
Checksum of the proxy's settings (the env ConfigMap data, the alpha-config flag and, in
verifiedToken mode, the alpha config): changes exactly when a setting changes.
Usage:  {{ include "backstage-keycloak.checksum.config" . }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.checksum.config" -}}
{{- if include "backstage-keycloak.proxyMode" . -}}
{{- print (include "backstage-keycloak.oauth2Proxy.env" .) (include "backstage-keycloak.oauth2Proxy.alphaConfigPath" .) (ternary (include "backstage-keycloak.oauth2Proxy.alphaConfig" .) "" (eq (include "backstage-keycloak.verifiedToken" .) "true")) | sha256sum -}}
{{- else -}}
{{- /* no sidecar: the app-config checksum of the upstream chart covers the sign-in settings */ -}}
{{- print "sign-in mode " (include "backstage-keycloak.signInMode" .) | sha256sum -}}
{{- end -}}
{{- end -}}

{{/*
URL oauth2-proxy calls (server side, GET) on /oauth2/sign_out before it clears its cookie: Keycloak's
end-session endpoint with the session's ID token as id_token_hint ({id_token} is oauth2-proxy's
placeholder), which ends the Keycloak SSO session. In-cluster when global.keycloak.internalUrl is
set (the call comes from the pod). oauth2-proxy v7.15.6 has no receiver for Keycloak's back-channel
logout tokens; this is the back channel it has.
Usage:  {{ include "backstage-keycloak.oauth2Proxy.backendLogoutUrl" . }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.oauth2Proxy.backendLogoutUrl" -}}
{{- $kc := include "backstage-keycloak.keycloak.endpoints" . | fromYaml -}}
{{- printf "%s/logout?id_token_hint={id_token}" (trimSuffix "/token" $kc.tokenUrl) -}}
{{- end -}}
