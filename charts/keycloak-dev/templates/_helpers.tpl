{{/*
Name of the dev Keycloak's objects: "<release>-keycloak-dev".
Usage: {{ include "keycloak-dev.fullname" . }}
*/}}
{{- define "keycloak-dev.fullname" -}}
{{- printf "%s-keycloak-dev" (.Release.Name | trunc 50 | trimSuffix "-") -}}
{{- end -}}

{{/*
Selector labels of the dev Keycloak pod.
Usage: {{ include "keycloak-dev.selectorLabels" . | nindent 6 }}
*/}}
{{- define "keycloak-dev.selectorLabels" -}}
app.kubernetes.io/name: keycloak-dev
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
