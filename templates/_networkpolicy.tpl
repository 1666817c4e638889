{{/*
The port of an http(s) URL: the explicit one, else 443 for https and 80 for http.
Usage:  {{ include "backstage-keycloak.urlPort" "https://keycloak.example.com" | int }}
Params: . the URL
*/}}
{{- define "backstage-keycloak.urlPort" -}}
{{- $u := urlParse . -}}
{{- $hostPort := regexFind ":[0-9]+$" $u.host -}}
{{- if $hostPort -}}{{- trimPrefix ":" $hostPort -}}{{- else if eq $u.scheme "https" -}}443{{- else if eq $u.scheme "rediss" -}}6379{{- else if eq $u.scheme "redis" -}}6379{{- else -}}80{{- end -}}
{{- end -}}

{{/*
The PostgreSQL Backstage uses, as a YAML list of at most one entry {what, name, selector, port, to}:
the bundled bitnami subchart (backstage.postgresql.enabled) or charts/postgres-dev (postgresDev.enabled),
selected by their pods' labels, else an external database (selector null; peers from
networkPolicy.egress.database.to, any address when empty).
Usage:  {{ range include "backstage-keycloak.networkPolicy.databases" . | fromYamlArray }}...{{ end }}
Params: . the umbrella context. Umbrella context only.
*/}}
{{- define "backstage-keycloak.networkPolicy.databases" -}}
{{- $b := .Values.backstage | default dict -}}
{{- $pg := $b.postgresql | default dict -}}
{{- $eg := (.Values.networkPolicy.egress | default dict).database | default dict -}}
{{- $dbs := list -}}
{{- if $pg.enabled -}}
{{- $port := ((($pg.primary | default dict).containerPorts | default dict).postgresql | default 5432) -}}
{{- $dbs = append $dbs (dict "what" "bundled PostgreSQL (backstage.postgresql)" "name" "postgresql" "port" (int $port) "selector" (dict "app.kubernetes.io/name" (default "postgresql" $pg.nameOverride) "app.kubernetes.io/instance" .Release.Name)) -}}
{{- else if (.Values.postgresDev | default dict).enabled -}}
{{- $dbs = append $dbs (dict "what" "dev PostgreSQL (postgresDev)" "name" "postgres-dev" "port" 5432 "selector" (dict "app.kubernetes.io/name" "postgres-dev" "app.kubernetes.io/instance" .Release.Name)) -}}
{{- else -}}
{{- $dbs = append $dbs (dict "what" "external PostgreSQL" "name" "" "port" (int ($eg.port | default 5432)) "selector" nil "to" ($eg.to | default list)) -}}
{{- end -}}
{{- toYaml $dbs -}}
{{- end -}}

{{/*
The stores only the Backstage pods may reach, as a YAML list of {name, component, what, selector,
port}: the PostgreSQL of backstage-keycloak.networkPolicy.databases when it runs in the release
(selected by its pods' labels), and the Redis session store (proxy modes, type redis, with
global.oauth2Proxy.sessionStore.redis.podSelector). networkpolicy.yaml renders one ingress
NetworkPolicy per entry.
Usage:  {{ range include "backstage-keycloak.networkPolicy.stores" . | fromYamlArray }}...{{ end }}
Params: . the umbrella context. Umbrella context only.
*/}}
{{- define "backstage-keycloak.networkPolicy.stores" -}}
{{- $stores := list -}}
{{- range (include "backstage-keycloak.networkPolicy.databases" . | fromYamlArray) -}}
{{- if .selector -}}
{{- $stores = append $stores (dict "name" .name "component" "database" "what" (printf "The %s holds every plugin's data" .what) "selector" .selector "port" .port) -}}
{{- end -}}
{{- end -}}
{{- $store := .Values.global.oauth2Proxy.sessionStore | default dict -}}
{{- $redis := $store.redis | default dict -}}
{{- if and (include "backstage-keycloak.proxyMode" .) (eq (toString ($store.type | default "cookie")) "redis") $redis.podSelector -}}
{{- $stores = append $stores (dict "name" "redis" "component" "oauth2-proxy" "what" "The redis session store holds every session" "selector" $redis.podSelector "port" ($redis.port | default 6379)) -}}
{{- end -}}
{{- toYaml $stores -}}
{{- end -}}

{{/*
Egress rules of the Backstage pods (networkPolicy.egress.enabled): DNS, Keycloak, PostgreSQL, the
Redis session store (proxy modes, type redis) and networkPolicy.egress.extra, as a YAML list of
NetworkPolicyEgressRule. A destination without peers (`to`) is open to any address on its ports.
Usage:  {{ include "backstage-keycloak.networkPolicy.egress" . | nindent 4 }}
Params: . the umbrella context. Umbrella context only.
*/}}
{{- define "backstage-keycloak.networkPolicy.egress" -}}
{{- $eg := .Values.networkPolicy.egress | default dict -}}
{{- $rules := list -}}
{{- /* DNS */ -}}
{{- $dns := dict "ports" (list (dict "port" 53 "protocol" "UDP") (dict "port" 53 "protocol" "TCP")) -}}
{{- with ($eg.dns | default dict).to }}{{ $_ := set $dns "to" . }}{{ end -}}
{{- $rules = append $rules $dns -}}
{{- /* Keycloak: the issuer's and the in-cluster URL's ports, or the given ones; the dev Keycloak's pods */ -}}
{{- $kc := $eg.keycloak | default dict -}}
{{- $k := .Values.global.keycloak | default dict -}}
{{- $dev := (.Values.keycloakDev | default dict).enabled -}}
{{- $ports := list -}}
{{- if $kc.ports -}}
{{- range $kc.ports }}{{ $ports = append $ports (int .) }}{{ end -}}
{{- else -}}
{{- range $u := list $k.issuerUrl $k.internalUrl -}}
{{- if $u }}{{ $ports = append $ports (include "backstage-keycloak.urlPort" $u | int) }}{{ end -}}
{{- end -}}
{{- if $dev }}{{ $ports = append $ports 8080 }}{{ end -}}
{{- end -}}
{{- $kcRule := dict "ports" (list) -}}
{{- range $p := $ports | uniq }}{{ $_ := set $kcRule "ports" (append $kcRule.ports (dict "port" $p "protocol" "TCP")) }}{{ end -}}
{{- $peers := $kc.to | default list -}}
{{- if and $dev (not $peers) -}}
{{- $peers = list (dict "podSelector" (dict "matchLabels" (dict "app.kubernetes.io/name" "keycloak-dev" "app.kubernetes.io/instance" .Release.Name))) -}}
{{- end -}}
{{- with $peers }}{{ $_ := set $kcRule "to" . }}{{ end -}}
{{- $rules = append $rules $kcRule -}}
{{- /* PostgreSQL */ -}}
{{- range $db := include "backstage-keycloak.networkPolicy.databases" . | fromYamlArray -}}
{{- $r := dict "ports" (list (dict "port" $db.port "protocol" "TCP")) -}}
{{- if $db.selector -}}
{{- $_ := set $r "to" (list (dict "podSelector" (dict "matchLabels" $db.selector))) -}}
{{- else if $db.to -}}
{{- $_ := set $r "to" $db.to -}}
{{- end -}}
{{- $rules = append $rules $r -}}
{{- end -}}
{{- /* the Redis session store */ -}}
{{- $store := .Values.global.oauth2Proxy.sessionStore | default dict -}}
{{- $redis := $store.redis | default dict -}}
{{- if and (include "backstage-keycloak.proxyMode" .) (eq (toString ($store.type | default "cookie")) "redis") -}}
{{- if $redis.podSelector -}}
{{- $rules = append $rules (dict "ports" (list (dict "port" (int ($redis.port | default 6379)) "protocol" "TCP")) "to" (list (dict "podSelector" (dict "matchLabels" $redis.podSelector)))) -}}
{{- else if $redis.url -}}
{{- $rules = append $rules (dict "ports" (list (dict "port" (include "backstage-keycloak.urlPort" $redis.url | int) "protocol" "TCP"))) -}}
{{- end -}}
{{- end -}}
{{- /* the user's */ -}}
{{- range $eg.extra }}{{ $rules = append $rules . }}{{ end -}}
{{- toYaml $rules -}}
{{- end -}}
