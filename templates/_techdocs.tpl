{{/*
TechDocs configuration from global.techdocs, as a YAML map in the sign-in configuration
(backstage-keycloak.signInConfig; a key appConfig sets must agree): techdocs.builder and, for a storage
publisher, techdocs.publisher.<type> with the bucket settings. The `local` publisher keeps the
image's publishDirectory (/tmp). No credentials: workload identity, or the SDK's environment from a
Secret the user lists in backstage.backstage.extraEnvVarsSecrets.
Usage:  {{ $cfg := include "backstage-keycloak.techdocs.appConfig" . | fromYaml }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.techdocs.appConfig" -}}
{{- $t := .Values.global.techdocs | default dict -}}
{{- $p := $t.publisher | default dict -}}
{{- $type := toString ($p.type | default "local") -}}
{{- $publisher := dict "type" $type -}}
{{- if eq $type "awsS3" -}}
{{- $s3 := dict "bucketName" (toString $p.bucketName) -}}
{{- with $p.region }}{{ $_ := set $s3 "region" (toString .) }}{{ end -}}
{{- with $p.endpoint }}{{ $_ := set $s3 "endpoint" (toString .) }}{{ $_ := set $s3 "s3ForcePathStyle" true }}{{ end -}}
{{- $_ := set $publisher "awsS3" $s3 -}}
{{- else if eq $type "googleGcs" -}}
{{- $gcs := dict "bucketName" (toString $p.bucketName) -}}
{{- with $p.projectId }}{{ $_ := set $gcs "projectId" (toString .) }}{{ end -}}
{{- $_ := set $publisher "googleGcs" $gcs -}}
{{- else if eq $type "azureBlobStorage" -}}
{{- $_ := set $publisher "azureBlobStorage" (dict "containerName" (toString $p.bucketName) "credentials" (dict "accountName" (toString $p.accountName))) -}}
{{- end -}}
{{- toYaml (dict "techdocs" (dict "builder" (toString ($t.builder | default "local")) "publisher" $publisher)) -}}
{{- end -}}
