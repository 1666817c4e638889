{{/*
The sign-in modes (global.signIn.mode) and how the chart wires the upstream Backstage chart for each.

  oauth2Proxy    oauth2-proxy sidecar in front; Backstage (loopback only) trusts its identity headers
  verifiedToken  oauth2-proxy sidecar in front; Backstage verifies the Keycloak ID token it forwards
  oidc           no sidecar: Backstage's own OpenID Connect provider runs the code flow with Keycloak
  oauth2         no sidecar: Backstage's generic OAuth2 provider (explicit URLs) + Keycloak's userinfo

Every mode is a pure function of values: the chart derives what the mode needs (the pod's lists in
templates/_pod.tpl, the sign-in configuration Backstage loads, the Secrets) and never edits the
upstream chart's values while it renders. The native modes need two values changed with the mode
(values/modes/native.yaml: no sidecar, the Service on Backstage's port); the validation names them.
unit tests (test/unit/chart-modes.test.ts) render every mode with Helm 4 and Helm 3.
*/}}

{{/*
The four sign-in modes, as a YAML list.
Usage:  {{ include "backstage-keycloak.signInModes" . | fromYamlArray }}
Params: . any context (constant).
*/}}
{{- define "backstage-keycloak.signInModes" -}}
{{- toYaml (list "oauth2Proxy" "verifiedToken" "oidc" "oauth2") -}}
{{- end -}}

{{/*
"true" in the proxy modes (oauth2Proxy, verifiedToken: an oauth2-proxy sidecar), "" otherwise.
Usage:  {{ if include "backstage-keycloak.proxyMode" . }}...{{ end }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.proxyMode" -}}
{{- if has (include "backstage-keycloak.signInMode" .) (list "oauth2Proxy" "verifiedToken") -}}true{{- end -}}
{{- end -}}

{{/*
"true" in the native modes (oidc, oauth2: Backstage's own provider, no sidecar), "" otherwise.
Usage:  {{ if include "backstage-keycloak.nativeMode" . }}...{{ end }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.nativeMode" -}}
{{- if has (include "backstage-keycloak.signInMode" .) (list "oidc" "oauth2") -}}true{{- end -}}
{{- end -}}

{{/*
Address Backstage listens on: loopback in the proxy modes (it trusts the proxy, so nothing else may
reach it), every address of the pod in the native modes (it verifies every request itself).
Usage:  {{ include "backstage-keycloak.listenHost" . }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.listenHost" -}}
{{- ternary "127.0.0.1" "0.0.0.0" (eq (include "backstage-keycloak.proxyMode" .) "true") -}}
{{- end -}}

{{/*
Backstage's health listener (backstageKeycloak.health.listen): the kubelet's probes in every mode
reach it on the Backstage container's port `health` (values.yaml extraPorts). It serves GET
/.backstage/health/v1/readiness and /liveness and nothing else, so nothing needs a login-free
route through oauth2-proxy. As a YAML map {host, port}.
Usage:  {{ $listen := include "backstage-keycloak.healthListen" . | fromYaml }}
Params: . any context (constant).
*/}}
{{- define "backstage-keycloak.healthListen" -}}
{{- toYaml (dict "host" "0.0.0.0" "port" 7008) -}}
{{- end -}}

{{/*
Prompt of the native providers (global.signIn.prompt, default auto: none sent, Keycloak shows its
login page only when there is no SSO session).
Usage:  {{ include "backstage-keycloak.prompt" . }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.prompt" -}}
{{- (.Values.global.signIn | default dict).prompt | default "auto" -}}
{{- end -}}

{{/*
Keycloak URLs of the native modes, from backstage-keycloak.keycloak.endpoints, as a YAML map:
  metadataUrl    discovery document Backstage's oidc provider reads (in-cluster with internalUrl;
                 Keycloak then answers with the public issuer and authorization endpoint)
  endSessionUrl  Keycloak's public end-session endpoint, where sign-out sends the browser
Usage:  {{ $urls := include "backstage-keycloak.native.urls" . | fromYaml }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.native.urls" -}}
{{- $kc := include "backstage-keycloak.keycloak.endpoints" . | fromYaml -}}
{{- toYaml (dict
  "metadataUrl" (printf "%s%s/.well-known/openid-configuration" $kc.baseUrl $kc.realmPath)
  "endSessionUrl" (printf "%s/protocol/openid-connect/logout" $kc.issuer)) -}}
{{- end -}}

{{/*
The Backstage configuration the mode needs, as a YAML map (in the sign-in configuration that
Backstage loads before appConfig, templates/_pod.tpl; validation names any appConfig key that differs): exactly ONE provider under
auth.providers, the session secret of the native modes, and backstageKeycloak.* (the permission
policy's admin groups and grants, full Keycloak group paths; in the native modes the allowed groups/roles the resolver enforces, the
end-session URL, and oauth2's userinfo URL). Secrets only as ${ENV} references.
Usage:  {{ $cfg := include "backstage-keycloak.mode.appConfig" (dict "ctx" . "env" "production") | fromYaml }}
Params: ctx  the chart context (umbrella or subchart)
        env  auth.environment (the native providers' config is nested under it)
*/}}
{{- define "backstage-keycloak.mode.appConfig" -}}
{{- $ := .ctx -}}
{{- $mode := include "backstage-keycloak.signInMode" $ -}}
{{- $k := $.Values.global.keycloak -}}
{{- $kc := include "backstage-keycloak.keycloak.endpoints" $ | fromYaml -}}
{{- $urls := include "backstage-keycloak.native.urls" $ | fromYaml -}}
{{- $perm := $.Values.global.permissions | default dict -}}
{{- $scopes := ternary (list "groups") list (not (empty $k.allowedGroups)) -}}
{{- $grants := $perm.grants | default dict -}}
{{- $bk := dict "permissions" (dict "adminGroups" ($perm.adminGroups | default list) "grants" (dict "runTemplates" ($grants.runTemplates | default list) "registerEntities" ($grants.registerEntities | default list) "deleteEntities" ($grants.deleteEntities | default list) "buildTechDocs" ($grants.buildTechDocs | default list))) "health" (dict "listen" (include "backstage-keycloak.healthListen" $ | fromYaml)) -}}
{{- $auth := dict -}}
{{- $provider := dict -}}
{{- if eq $mode "verifiedToken" -}}
{{- $provider = dict "oidcProxy" (dict "issuer" $kc.issuer "audience" "${KEYCLOAK_CLIENT_ID}" "header" (include "backstage-keycloak.idTokenHeader" $) "jwksUrl" $kc.jwksUrl) -}}
{{- else if eq $mode "oidc" -}}
{{- $provider = dict "oidc" (dict .env (dict "metadataUrl" $urls.metadataUrl "clientId" "${KEYCLOAK_CLIENT_ID}" "clientSecret" "${KEYCLOAK_CLIENT_SECRET}" "prompt" (include "backstage-keycloak.prompt" $) "additionalScopes" $scopes)) -}}
{{- else if eq $mode "oauth2" -}}
{{- $provider = dict "oauth2" (dict .env (dict "authorizationUrl" $kc.authUrl "tokenUrl" $kc.tokenUrl "clientId" "${KEYCLOAK_CLIENT_ID}" "clientSecret" "${KEYCLOAK_CLIENT_SECRET}" "prompt" (include "backstage-keycloak.prompt" $) "additionalScopes" $scopes)) -}}
{{- $_ := set $bk "userinfoUrl" $kc.userinfoUrl -}}
{{- else -}}
{{- $provider = dict "oauth2Proxy" dict -}}
{{- end -}}
{{- $_ := set $auth "providers" $provider -}}
{{- if include "backstage-keycloak.nativeMode" $ -}}
{{- $_ := set $auth "session" (dict "secret" "${AUTH_SESSION_SECRET}") -}}
{{- $_ := set $bk "signIn" (dict "allowedGroups" ($k.allowedGroups | default list) "allowedRoles" ($k.allowedRoles | default list)) -}}
{{- $_ := set $bk "endSessionUrl" $urls.endSessionUrl -}}
{{- end -}}
{{- toYaml (dict "auth" $auth "backstageKeycloak" $bk "catalog" (dict "readonly" (not (empty $perm.catalogReadonly)))) -}}
{{- end -}}
