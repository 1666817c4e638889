{{/*
Rules of least privilege and TechDocs: the ServiceAccount and its token, the TechDocs builder and
publisher.
*/}}

{{/*
Least privilege of the Backstage pods: the upstream chart sets automountServiceAccountToken on the
ServiceAccount it creates, never on the pod, so without its own ServiceAccount the pod would run as
the namespace's `default` one, which mounts a token unless the cluster says otherwise.
Usage:  {{ include "backstage-keycloak.validate.privilege" . | fromJsonArray }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate.privilege" -}}
{{- $errs := list -}}
{{- $sa := (.Values.backstage | default dict).serviceAccount | default dict -}}
{{- if and (not $sa.create) (not $sa.name) -}}
{{- $errs = append $errs "backstage.serviceAccount.create=false without backstage.serviceAccount.name: the Backstage pods would run as the namespace's default ServiceAccount, with its API token mounted. Keep create=true (the chart's own ServiceAccount, no token), or name a ServiceAccount you manage" -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}

{{/*
global.techdocs: an external builder needs a storage publisher (techdocs-cli publishes there in CI;
the pod's local directory is empty), and a storage publisher its bucket (and Azure its account).
Usage:  {{ include "backstage-keycloak.validate.techdocs" . | fromJsonArray }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate.techdocs" -}}
{{- $errs := list -}}
{{- $t := .Values.global.techdocs | default dict -}}
{{- $p := $t.publisher | default dict -}}
{{- $type := toString ($p.type | default "local") -}}
{{- if and (eq (toString $t.builder) "external") (eq $type "local") -}}
{{- $errs = append $errs "global.techdocs.builder=external with global.techdocs.publisher.type=local: nothing would ever publish into the pod's directory; set publisher.type (awsS3, googleGcs or azureBlobStorage) and bucketName to the storage your CI publishes to with techdocs-cli" -}}
{{- end -}}
{{- if and (ne $type "local") (not $p.bucketName) -}}
{{- $errs = append $errs (printf "global.techdocs.publisher.type=%s needs global.techdocs.publisher.bucketName (the %s holding the sites)" $type (ternary "container" "bucket" (eq $type "azureBlobStorage"))) -}}
{{- end -}}
{{- if and (eq $type "azureBlobStorage") (not $p.accountName) -}}
{{- $errs = append $errs "global.techdocs.publisher.type=azureBlobStorage needs global.techdocs.publisher.accountName (the storage account)" -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}
