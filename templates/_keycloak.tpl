{{/*
Keycloak endpoints, derived once from global.keycloak.issuerUrl and global.keycloak.internalUrl.
The env ConfigMap, the alpha config, the Backstage app-config (catalog module, oidcProxy JWKS URL),
the `helm test` pod and NOTES all read them from backstage-keycloak.keycloak.endpoints.
*/}}

{{/*
Every Keycloak URL the bundle uses, as a YAML map:
  issuer       global.keycloak.issuerUrl, as given (oauth2-proxy compares it byte for byte)
  realmPath    "/realms/<name>" at the end of the issuer ("" when the issuer has none)
  realm        the realm name
  baseUrl      Keycloak's base URL as pods see it: internalUrl, else the issuer without realmPath
  discovery    true: oauth2-proxy discovers the endpoints from the issuer; false when internalUrl
               is set (the browser and the pods then see Keycloak at different addresses)
  authUrl      the public authorization endpoint the browser is sent to
  tokenUrl, jwksUrl, userinfoUrl   the back-channel endpoints, in-cluster when internalUrl is set
Usage:  {{ $kc := include "backstage-keycloak.keycloak.endpoints" . | fromYaml }}
Params: . the chart context (umbrella or subchart; reads .Values.global.keycloak only).
*/}}
{{- define "backstage-keycloak.keycloak.endpoints" -}}
{{- $k := .Values.global.keycloak -}}
{{- $issuer := $k.issuerUrl | default "" | toString -}}
{{- $realmPath := regexFind "/realms/[^/]+$" $issuer -}}
{{- $internal := $k.internalUrl | default "" | toString | trimSuffix "/" -}}
{{- $base := ternary $internal (regexReplaceAll "/realms/[^/]+$" $issuer "") (not (empty $internal)) -}}
{{- $backchannel := ternary (printf "%s%s/protocol/openid-connect" $internal $realmPath) (printf "%s/protocol/openid-connect" $issuer) (not (empty $internal)) -}}
{{- toYaml (dict
  "issuer" $issuer
  "realmPath" $realmPath
  "realm" (trimPrefix "/realms/" $realmPath)
  "baseUrl" $base
  "discovery" (empty $internal)
  "authUrl" (printf "%s/protocol/openid-connect/auth" $issuer)
  "tokenUrl" (printf "%s/token" $backchannel)
  "jwksUrl" (printf "%s/certs" $backchannel)
  "userinfoUrl" (printf "%s/userinfo" $backchannel)) -}}
{{- end -}}

{{/*
Base URL pods use for Keycloak (endpoints.baseUrl): the catalog module's baseUrl.
Usage:  {{ include "backstage-keycloak.keycloak.baseUrl" . }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.keycloak.baseUrl" -}}
{{- (include "backstage-keycloak.keycloak.endpoints" . | fromYaml).baseUrl -}}
{{- end -}}

{{/*
Realm name (endpoints.realm).
Usage:  {{ include "backstage-keycloak.keycloak.realm" . }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.keycloak.realm" -}}
{{- (include "backstage-keycloak.keycloak.endpoints" . | fromYaml).realm -}}
{{- end -}}

{{/*
JWKS URL of the realm (endpoints.jwksUrl): in-cluster when global.keycloak.internalUrl is set.
Usage:  {{ include "backstage-keycloak.keycloak.jwksUrl" . }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.keycloak.jwksUrl" -}}
{{- (include "backstage-keycloak.keycloak.endpoints" . | fromYaml).jwksUrl -}}
{{- end -}}
