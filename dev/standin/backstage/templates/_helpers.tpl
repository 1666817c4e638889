{{/*
Stand-in helpers (written for the stand-in; the upstream chart uses bitnami `common` for these).
*/}}

{{/* Resource name: fullnameOverride, else "<release>" when it contains the chart name, else "<release>-<name>". */}}
{{- define "standin.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Selector labels: name + instance. */}}
{{- define "standin.matchLabels" -}}
app.kubernetes.io/name: {{ default .Chart.Name .Values.nameOverride }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Standard labels. */}}
{{- define "standin.labels" -}}
{{ include "standin.matchLabels" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/*
The contract of the upstream chart's value rendering: a value (list, map or string) is turned into
YAML and, when it contains "{{", run through `tpl` with the given context (the subchart's).
Usage: {{ include "standin.render" (dict "value" .Values.x "context" $) }}
*/}}
{{- define "standin.render" -}}
{{- $text := ternary .value (toYaml .value) (typeIs "string" .value) -}}
{{- if contains "{{" (toJson .value) -}}
{{- tpl $text .context -}}
{{- else -}}
{{- $text -}}
{{- end -}}
{{- end -}}

{{/* Image of the backend: [global.imageRegistry or registry]/repository:tag or @digest. */}}
{{- define "standin.image" -}}
{{- $i := .Values.backstage.image -}}
{{- $registry := default $i.registry .Values.global.imageRegistry -}}
{{- $repo := ternary $i.repository (printf "%s/%s" $registry $i.repository) (empty $registry) -}}
{{- if $i.digest -}}{{ printf "%s@%s" $repo $i.digest }}{{- else -}}{{ printf "%s:%s" $repo (toString $i.tag) }}{{- end -}}
{{- end -}}

{{/* PostgreSQL host: "<release>-postgresql" (plus -primary with replication). */}}
{{- define "standin.postgresql.host" -}}
{{- $base := ternary .Release.Name (printf "%s-postgresql" .Release.Name) (contains "postgresql" .Release.Name) | trunc 63 | trimSuffix "-" -}}
{{- if eq .Values.postgresql.architecture "replication" -}}{{ $base }}-primary{{- else -}}{{ $base }}{{- end -}}
{{- end -}}

{{/* Secret holding the database user's password and its key. */}}
{{- define "standin.postgresql.secretName" -}}
{{- $global := (((.Values.global).postgresql).auth).existingSecret -}}
{{- if $global -}}{{ tpl $global $ }}{{- else if .Values.postgresql.auth.existingSecret -}}{{ tpl .Values.postgresql.auth.existingSecret $ }}{{- else -}}{{ ternary .Release.Name (printf "%s-postgresql" .Release.Name) (contains "postgresql" .Release.Name) | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}
{{- define "standin.postgresql.secretKey" -}}
{{- if or (((.Values.global).postgresql).auth).existingSecret .Values.postgresql.auth.existingSecret -}}
{{- ((((.Values.global).postgresql).auth).secretKeys).userPasswordKey | default ((.Values.postgresql.auth.secretKeys).userPasswordKey) | default "password" -}}
{{- else -}}password{{- end -}}
{{- end -}}
