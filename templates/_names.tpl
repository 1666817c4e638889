{{/*
Names, labels, images and the public URL of backstage-keycloak.

The helpers of this chart live in one file per concern:
  _names.tpl         names, labels, images, the public URL of Backstage (this file)
  _secrets.tpl       our Secret (its data, the references to it or to existing Secrets, checksum)
  _keycloak.tpl      the Keycloak endpoints (issuer, realm, login/token/JWKS/userinfo URLs)
  _oauth2-proxy.tpl  the sidecar's settings (env ConfigMap, alpha config, sign-in mode, checksum)
  _oauth2-proxy-settings.tpl  which proxy settings the chart owns and which users may tune
  _mode.tpl          the sign-in modes and the configuration each needs
  _pod.tpl           the Backstage pod's lists (containers, volumes, mounts, env) and the sign-in
                     configuration Backstage loads
  _sidecar.tpl       the oauth2-proxy container
  validate/          render-time validation: _validate.tpl the aggregator that fails, _checks.tpl
                     the generic checks, one file of rules per concern (sign-in, credentials,
                     proxy, pod, backstage, privilege)
  _techdocs.tpl      TechDocs' builder and publisher (global.techdocs), in the sign-in configuration
  _networkpolicy.tpl the NetworkPolicies' destinations (Backstage's egress rules, the database it uses)

Most helpers are called twice: from this chart's templates, and from the upstream Backstage chart,
which runs `tpl` over extraContainers, appConfig and podAnnotations in ITS OWN context. There,
.Values is the Backstage chart's values plus `global`, .Chart is the Backstage chart, and .Release
is shared. So every helper that the subchart calls reads only .Values.global.* and .Release.*, and
gives the same answer from both places. Helpers marked "Umbrella context only" read more.

Helpers returning a structure print it as YAML (or JSON); callers use `fromYaml` / `fromJson`.
*/}}

{{/*
Name of the objects this chart renders for the proxy (Secret, ConfigMap): "<release>-oauth2-proxy".
The release name is cut to 50 characters so the 13-character suffix fits the 63-character limit.
Usage:  {{ include "backstage-keycloak.oauth2Proxy.fullname" . }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.oauth2Proxy.fullname" -}}
{{- printf "%s-oauth2-proxy" (.Release.Name | trunc 50 | trimSuffix "-") -}}
{{- end -}}

{{/*
Name the upstream chart gives its Deployment and Service: "<release>-backstage", or "<release>" when
the release name already contains the chart name; fullnameOverride wins.
Usage:  {{ include "backstage-keycloak.backstage.fullname" . }}
Params: . the umbrella context (reads .Values.backstage). Umbrella context only.
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
Labels that select the Backstage pods of this release (set by the upstream chart).
Usage:  {{ include "backstage-keycloak.backstage.selectorLabels" . | nindent 6 }}
Params: . the umbrella context. Umbrella context only.
*/}}
{{- define "backstage-keycloak.backstage.selectorLabels" -}}
app.kubernetes.io/name: {{ default "backstage" (.Values.backstage | default dict).nameOverride }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: backstage
{{- end -}}

{{/*
Standard labels of the objects this chart renders itself.
Usage:  {{ include "backstage-keycloak.labels" . | nindent 4 }}
Params: . the umbrella context (reads .Chart). Umbrella context only.
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
Image reference "<registry>/<repository>:<tag>", or "...@<digest>" when a digest is given. The
registry is global.imageRegistry when set (air-gapped mirrors: one value moves every image the
umbrella renders, as it does for the upstream chart's), else the image's own registry; an empty
registry leaves the repository as it is.
Usage:  {{ include "backstage-keycloak.image" (dict "image" .Values.tests.image "global" .Values.global) }}
Params: image   map with registry, repository, tag and optional digest;
        global  .Values.global (reads imageRegistry).
*/}}
{{- define "backstage-keycloak.image" -}}
{{- $i := .image | default dict -}}
{{- $registry := (.global | default dict).imageRegistry | default $i.registry | default "" -}}
{{- $repo := ternary $i.repository (printf "%s/%s" $registry $i.repository) (empty $registry) -}}
{{- if $i.digest -}}
{{- printf "%s@%s" $repo $i.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (toString $i.tag) -}}
{{- end -}}
{{- end -}}

{{/*
oauth2-proxy image reference (see backstage-keycloak.image).
Usage:  {{ include "backstage-keycloak.oauth2Proxy.image" . }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.oauth2Proxy.image" -}}
{{- include "backstage-keycloak.image" (dict "image" .Values.global.oauth2Proxy.image "global" .Values.global) -}}
{{- end -}}

{{/*
Scheme of the public URL: https, or http when global.allowInsecureHttp is set.
Usage:  {{ include "backstage-keycloak.scheme" . }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.scheme" -}}
{{- ternary "http" "https" (.Values.global.allowInsecureHttp | default false) -}}
{{- end -}}

{{/*
Public URL of Backstage: <scheme>://<global.host>. Base of app.baseUrl, backend.baseUrl and the
redirect URL.
Usage:  {{ include "backstage-keycloak.publicUrl" . }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.publicUrl" -}}
{{- printf "%s://%s" (include "backstage-keycloak.scheme" .) .Values.global.host -}}
{{- end -}}

{{/*
global.host without its port: the Ingress host.
Usage:  {{ include "backstage-keycloak.hostname" . }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.hostname" -}}
{{- regexReplaceAll ":[0-9]+$" (.Values.global.host | default "") "" -}}
{{- end -}}

{{/*
The redirect URI this sign-in mode sends to Keycloak, which must be registered on the Keycloak
client: the proxy's callback (oauth2Proxy, verifiedToken) or Backstage's handler of the native
provider (oidc, oauth2).
Usage:  {{ include "backstage-keycloak.redirectUrl" . }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.redirectUrl" -}}
{{- include "backstage-keycloak.redirectUrlOf" (dict "ctx" . "mode" (include "backstage-keycloak.signInMode" .)) -}}
{{- end -}}

{{/*
The redirect URI of a given sign-in mode (NOTES name the one of the previous mode after a switch).
Usage:  {{ include "backstage-keycloak.redirectUrlOf" (dict "ctx" . "mode" "oidc") }}
Params: ctx   the chart context
        mode  a sign-in mode
*/}}
{{- define "backstage-keycloak.redirectUrlOf" -}}
{{- $path := get (dict "oidc" "/api/auth/oidc/handler/frame" "oauth2" "/api/auth/oauth2/handler/frame") .mode | default "/oauth2/callback" -}}
{{- printf "%s%s" (include "backstage-keycloak.publicUrl" .ctx) $path -}}
{{- end -}}
