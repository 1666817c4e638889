{{/*
The sign-in modes (global.signIn.mode) and how the chart wires the upstream Backstage chart for each.

  oauth2Proxy    oauth2-proxy sidecar in front; Backstage (loopback only) trusts its identity headers
  verifiedToken  oauth2-proxy sidecar in front; Backstage verifies the Keycloak ID token it forwards
  oidc           no sidecar: Backstage's own OpenID Connect provider runs the code flow with Keycloak
  oauth2         no sidecar: Backstage's generic OAuth2 provider (explicit URLs) + Keycloak's userinfo

Why the wiring mutates values: the upstream chart cannot drop a list item or change a value through
its templating. `extraContainers` and `extraVolumes` are lists (a template inside an item cannot
remove the item) and `service.ports.targetPort` is printed without `tpl`. Yet "helm upgrade with
only the mode changed" must drop the sidecar and point the Service at Backstage. So backstage-keycloak.mode.wire, called through `tpl` from the first templated values
each upstream template renders (the Service's annotations before its ports; the Deployment's
annotations before the pod template), edits the subchart's values in place: Helm hands every
template of a release the same values maps, so the rest of the render sees the edited values.
unit tests (test/unit/chart-modes.test.ts) render every mode with Helm 4 and Helm 3 to keep it so.
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
The Backstage configuration the mode needs, as a YAML map the wiring merges into appConfig (keys
the user set are kept, and validation then names any that differ): exactly ONE provider under
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

{{/*
Env the Backstage container needs in the native modes only (the proxy modes must not hand it the
client secret), as a YAML list of env entries reading our Secret or the user's existing Secrets.
Usage:  {{ include "backstage-keycloak.native.env" . | fromYamlArray }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.native.env" -}}
{{- $refs := include "backstage-keycloak.secret.refs" . | fromYaml -}}
{{- toYaml (list
  (dict "name" "KEYCLOAK_CLIENT_SECRET" "valueFrom" (dict "secretKeyRef" (dict "name" $refs.clientSecret.name "key" $refs.clientSecret.key)))
  (dict "name" "AUTH_SESSION_SECRET" "valueFrom" (dict "secretKeyRef" (dict "name" $refs.sessionSecret.name "key" $refs.sessionSecret.key)))) -}}
{{- end -}}

{{/*
Wires the upstream chart's values for the sign-in mode, in place (see the top of this file), and
prints the mode (the value of the annotation it is called from). Idempotent.
  every mode   appConfig gets backstage-keycloak.mode.appConfig and backstage-keycloak.techdocs.appConfig
               (missing keys only)
  native modes the oauth2-proxy container and its alpha-config volume are dropped; the Service's
               targetPort oauth2-proxy moves to Backstage's own port `backend`; the Backstage
               container gets KEYCLOAK_CLIENT_SECRET and AUTH_SESSION_SECRET from Secrets
  (The probes need no wiring: in every mode they ask Backstage's health listener, port `health`.)
Usage:  annotations: {backstage-keycloak/sign-in-mode: '{{ include "backstage-keycloak.mode.wire" . }}'}
Params: . the chart context: the Backstage subchart's (from its templates) or the umbrella's.
*/}}
{{- define "backstage-keycloak.mode.wire" -}}
{{- $sub := ternary .Values (.Values.backstage | default dict) (eq .Chart.Name "backstage") -}}
{{- $b := $sub.backstage | default dict -}}
{{- $app := $b.appConfig -}}
{{- if kindIs "map" $app -}}
{{- $env := (($app.auth | default dict).environment | default "production") | toString -}}
{{- $_ := merge $app (include "backstage-keycloak.mode.appConfig" (dict "ctx" . "env" $env) | fromYaml) -}}
{{- $_ := merge $app (include "backstage-keycloak.techdocs.appConfig" . | fromYaml) -}}
{{- end -}}
{{- if include "backstage-keycloak.nativeMode" . -}}
{{- $containers := list -}}
{{- range ($b.extraContainers | default list) -}}{{- if ne (toString .name) "oauth2-proxy" -}}{{- $containers = append $containers . -}}{{- end -}}{{- end -}}
{{- $_ := set $b "extraContainers" $containers -}}
{{- $volumes := list -}}
{{- range ($b.extraVolumes | default list) -}}{{- if ne (toString .name) "oauth2-proxy-alpha" -}}{{- $volumes = append $volumes . -}}{{- end -}}{{- end -}}
{{- $_ := set $b "extraVolumes" $volumes -}}
{{- $ports := ($sub.service | default dict).ports -}}
{{- if and (kindIs "map" $ports) (eq (toString $ports.targetPort) "oauth2-proxy") -}}
{{- $_ := set $ports "targetPort" "backend" -}}
{{- end -}}
{{- $env := $b.extraEnvVars | default list -}}
{{- $names := list -}}
{{- range $env -}}{{- $names = append $names (toString .name) -}}{{- end -}}
{{- range (include "backstage-keycloak.native.env" . | fromYamlArray) -}}
{{- if not (has .name $names) -}}{{- $env = append $env . -}}{{- end -}}
{{- end -}}
{{- $_ := set $b "extraEnvVars" $env -}}
{{- end -}}
{{- include "backstage-keycloak.signInMode" . -}}
{{- end -}}
