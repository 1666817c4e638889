{{/*
The oauth2-proxy sidecar: the one definition of the container the proxy modes run next to Backstage.
Its settings come from the env ConfigMap (backstage-keycloak.oauth2Proxy.env) and, in verifiedToken
mode, the alpha config; its credentials from Secrets (backstage-keycloak.secret.refs). The pod's
lists (templates/_pod.tpl) put it first in backstage.backstage.extraContainers.
*/}}

{{/*
The oauth2-proxy container, as a YAML map (a Kubernetes Container):
  image        global.oauth2Proxy.image (global.imageRegistry wins), pullPolicy global.oauth2Proxy.image.pullPolicy
  args         --alpha-config=<path> (empty in oauth2Proxy mode: the env configuration)
  envFrom      the env ConfigMap "<release>-oauth2-proxy"
  env          client id, client secret, cookie secret and (Redis store with a password) the Redis
               password, from Secrets
  ports        oauth2-proxy 4180 (what the Service targets), oauth2-metrics 44180
  probes       oauth2-proxy's own /ping (liveness) and /ready (readiness)
  resources    global.oauth2Proxy.resources
  lifecycle    global.oauth2Proxy.lifecycle (e.g. a preStop pause, values/production.yaml)
  securityContext  non-root (65532), read-only root, no privilege escalation, no capabilities
Usage:  {{ $c := include "backstage-keycloak.oauth2Proxy.container" . | fromYaml }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.oauth2Proxy.container" -}}
{{- $o := .Values.global.oauth2Proxy -}}
{{- $refs := include "backstage-keycloak.secret.refs" . | fromYaml -}}
{{- $secretEnv := list
  (list "OAUTH2_PROXY_REDIS_PASSWORD" $refs.redisPassword true)
  (list "OAUTH2_PROXY_CLIENT_ID" $refs.clientId false)
  (list "OAUTH2_PROXY_CLIENT_SECRET" $refs.clientSecret false)
  (list "OAUTH2_PROXY_COOKIE_SECRET" $refs.cookieSecret false) -}}
{{- $env := list -}}
{{- range $secretEnv -}}
{{- /* the Redis password only when the Redis store has one */ -}}
{{- if or (not (index . 2)) (index . 1).enabled -}}
{{- $env = append $env (dict "name" (index . 0) "valueFrom" (dict "secretKeyRef" (dict "name" (index . 1).name "key" (index . 1).key))) -}}
{{- end -}}
{{- end -}}
{{- $c := dict
  "name" "oauth2-proxy"
  "image" (include "backstage-keycloak.oauth2Proxy.image" .)
  "imagePullPolicy" ($o.image.pullPolicy | default "IfNotPresent")
  "args" (list (printf "--alpha-config=%s" (include "backstage-keycloak.oauth2Proxy.alphaConfigPath" .)))
  "envFrom" (list (dict "configMapRef" (dict "name" (include "backstage-keycloak.oauth2Proxy.fullname" .))))
  "env" $env
  "volumeMounts" (list (dict "name" "oauth2-proxy-alpha" "mountPath" "/etc/oauth2-proxy" "readOnly" true))
  "ports" (list
    (dict "name" "oauth2-proxy" "containerPort" 4180 "protocol" "TCP")
    (dict "name" "oauth2-metrics" "containerPort" 44180 "protocol" "TCP"))
  "livenessProbe" (dict "httpGet" (dict "path" "/ping" "port" "oauth2-proxy") "periodSeconds" 10 "failureThreshold" 3)
  "readinessProbe" (dict "httpGet" (dict "path" "/ready" "port" "oauth2-proxy") "periodSeconds" 5 "failureThreshold" 3)
  "resources" ($o.resources | default dict)
  "securityContext" (dict
    "runAsNonRoot" true "runAsUser" 65532 "runAsGroup" 65532
    "readOnlyRootFilesystem" true "allowPrivilegeEscalation" false "privileged" false
    "capabilities" (dict "drop" (list "ALL"))
    "seccompProfile" (dict "type" "RuntimeDefault")) -}}
{{- with $o.lifecycle -}}{{- $_ := set $c "lifecycle" . -}}{{- end -}}
{{- toYaml $c -}}
{{- end -}}
