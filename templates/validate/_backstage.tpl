{{/*
Rules of the Backstage side: the appConfig the chart derives, the probes and the checksum
annotations (the pod's lists and the Service target: validate/_pod.tpl).
*/}}

{{/*
The Backstage side: the values the chart sets in appConfig (public URLs, the loopback listener, the
sign-in provider and its settings, the Keycloak catalog module), the probes on the health listener
and the checksum annotations.
Usage:  {{ include "backstage-keycloak.validate.backstage" . | fromJsonArray }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate.backstage" -}}
{{- $errs := list -}}
{{- $g := .Values.global -}}
{{- $bs := .Values.backstage | default dict -}}
{{- $b := $bs.backstage | default dict -}}
{{- $app := $b.appConfig | default dict -}}
{{- $kc := include "backstage-keycloak.keycloak.endpoints" . | fromYaml -}}
{{- $cs := $g.keycloak.catalogSync | default dict -}}
{{- $public := include "backstage-keycloak.publicUrl" . -}}
{{- $proxy := eq (include "backstage-keycloak.proxyMode" .) "true" -}}
{{- $mode := include "backstage-keycloak.signInMode" . -}}
{{- /* proxy modes: Backstage must be reachable only through the proxy */ -}}
{{- $listen := (($app.backend | default dict).listen | default dict) -}}
{{- $listenHost := include "backstage-keycloak.tplValue" (dict "value" $listen.host "ctx" $) -}}
{{- if and $proxy (not (has $listenHost (list "127.0.0.1" "::1" "localhost"))) -}}
{{- $errs = append $errs (printf "backstage.backstage.appConfig.backend.listen.host=%q: in global.signIn.mode=%s Backstage trusts what the proxy forwards, so it must listen on loopback only; leave the chart's value (127.0.0.1)" $listenHost $mode) -}}
{{- else if and (not $proxy) (has $listenHost (list "127.0.0.1" "::1" "localhost")) -}}
{{- $errs = append $errs (printf "backstage.backstage.appConfig.backend.listen.host=%q: in global.signIn.mode=%s nothing runs in front of Backstage, so a loopback listener is unreachable; leave the chart's value (0.0.0.0)" $listenHost $mode) -}}
{{- end -}}
{{- if ne (toString ($listen.port | default "")) "7007" -}}
{{- $errs = append $errs (printf "backstage.backstage.appConfig.backend.listen.port=%q: the sidecar's upstream and the upstream chart's container port are 7007; leave it at 7007" (toString ($listen.port | default ""))) -}}
{{- end -}}
{{- if $g.allowInsecureHttp -}}
{{- $csp := (($app.backend | default dict).csp | default dict) -}}
{{- if not (and (hasKey $csp "upgrade-insecure-requests") (eq (toString (index $csp "upgrade-insecure-requests")) "false")) -}}
{{- $errs = append $errs "global.allowInsecureHttp=true needs backstage.backstage.appConfig.backend.csp.upgrade-insecure-requests: false: Backstage's default Content-Security-Policy makes browsers load its scripts over https, so the app stays blank over http (see values/kind.yaml)" -}}
{{- end -}}
{{- end -}}
{{- /* appConfig values the chart derives: [path, expected, what to set instead] */ -}}
{{- $derived := list
  (list "app.baseUrl" $public "global.host (and global.allowInsecureHttp)")
  (list "backend.baseUrl" $public "global.host (and global.allowInsecureHttp)")
  (list "app.signInProvider" (include "backstage-keycloak.signInProvider" .) "global.signIn.mode")
  (list "permission.enabled" "true" "global.permissions.adminGroups (the permission policy is what keeps non-admins from changing the catalog)")
  (list "catalog.providers.keycloakOrg.default.baseUrl" $kc.baseUrl "global.keycloak.internalUrl or global.keycloak.issuerUrl")
  (list "catalog.providers.keycloakOrg.default.loginRealm" $kc.realm "global.keycloak.issuerUrl")
  (list "catalog.providers.keycloakOrg.default.realm" $kc.realm "global.keycloak.issuerUrl")
  (list "catalog.providers.keycloakOrg.default.clientId" (toString ($cs.clientId | default "")) "global.keycloak.catalogSync.clientId")
  (list "catalog.providers.keycloakOrg.default.clientSecret" "${KEYCLOAK_CATALOG_CLIENT_SECRET}" "global.keycloak.catalogSync.clientSecret or existingSecret")
  (list "catalog.providers.keycloakOrg.default.schedule.frequency.minutes" (toString ($cs.frequencyMinutes | default "")) "global.keycloak.catalogSync.frequencyMinutes")
-}}
{{- range $d := $derived -}}
{{- $path := index $d 0 -}}
{{- $node := $app -}}
{{- $missing := false -}}
{{- range $part := splitList "." $path -}}
{{- if and (not $missing) (kindIs "map" $node) (hasKey $node $part) -}}{{- $node = get $node $part -}}{{- else -}}{{- $missing = true -}}{{- end -}}
{{- end -}}
{{- if or $missing (kindIs "map" $node) (kindIs "slice" $node) -}}
{{- $errs = append $errs (printf "backstage.backstage.appConfig.%s is missing: the chart sets it from %s; leave it out of your values" $path (index $d 2)) -}}
{{- else -}}
{{- $got := include "backstage-keycloak.tplValue" (dict "value" $node "ctx" $) -}}
{{- if ne $got (index $d 1) -}}
{{- $errs = append $errs (printf "backstage.backstage.appConfig.%s=%q, but the chart derives %q from %s and depends on it: set %s instead and leave this key out of your values" $path $got (index $d 1) (index $d 2) (index $d 2)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- /* the configuration of the mode (the sign-in configuration Backstage loads before appConfig): a key
appConfig also sets must agree with it, or appConfig (loaded last) would override it */ -}}
{{- $authEnv := (($app.auth | default dict).environment | default "production") | toString -}}
{{- $modeCfg := include "backstage-keycloak.mode.appConfig" (dict "ctx" . "env" $authEnv) | fromYaml -}}
{{- range $path, $want := (include "backstage-keycloak.flatten" (dict "value" $modeCfg "prefix" "") | fromYaml) -}}
{{- $node := $app -}}
{{- $missing := false -}}
{{- range $part := splitList "." $path -}}
{{- if and (not $missing) (kindIs "map" $node) (hasKey $node $part) -}}{{- $node = get $node $part -}}{{- else -}}{{- $missing = true -}}{{- end -}}
{{- end -}}
{{- $instead := include "backstage-keycloak.derivedFrom" $path -}}
{{- if $missing -}}
{{- /* comes from the sign-in configuration */ -}}
{{- else if and (eq $want "{}") (kindIs "map" $node) -}}
{{- /* an empty provider block (oauth2Proxy): its content is checked below */ -}}
{{- else -}}
{{- $got := ternary (toJson $node) (include "backstage-keycloak.tplValue" (dict "value" $node "ctx" $)) (kindIs "slice" $node) -}}
{{- if ne $got $want -}}
{{- $errs = append $errs (printf "backstage.backstage.appConfig.%s=%s, but the chart derives %s from %s and depends on it: set %s instead and leave this key out of your values" $path $got $want $instead $instead) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $providers := (($app.auth | default dict).providers | default dict) -}}
{{- $provider := include "backstage-keycloak.signInProvider" . -}}
{{- range $name := keys $providers | sortAlpha -}}
{{- if ne $name $provider -}}
{{- $errs = append $errs (printf "backstage.backstage.appConfig.auth.providers.%s: the image registers only the provider of global.signIn.mode=%s (%s), so this would be dead configuration; remove it (to sign in another way, change global.signIn.mode)" $name $mode $provider) -}}
{{- end -}}
{{- end -}}
{{- if and (eq $provider "oauth2Proxy") (kindIs "map" (get $providers "oauth2Proxy")) (hasKey (get $providers "oauth2Proxy") "signIn") -}}
{{- $errs = append $errs "backstage.backstage.appConfig.auth.providers.oauth2Proxy.signIn is not read: the app's oauth2Proxy module signs users in by preferred_username, then email (backstage/plugins/auth-backend-module-keycloak/src/resolvers.ts); remove it" -}}
{{- end -}}
{{- /* probes: Backstage's health listener (port health), the same in every mode */ -}}
{{- /* the chart's item (which prints it), or a literal entry (values written before the item existed) */ -}}
{{- $health := include "backstage-keycloak.healthListen" . | fromYaml -}}
{{- $portsHost := include "backstage-keycloak.pod.host" "extraPorts" -}}
{{- $healthPort := false -}}
{{- range $p := ($b.extraPorts | default list) -}}
{{- if not (kindIs "map" $p) -}}
{{- else if and (eq (toString $p.name) $portsHost) (eq (len $p) 1) -}}{{- $healthPort = true -}}
{{- else if and (eq (toString $p.name) "health") (eq (toString $p.containerPort) (toString $health.port)) -}}{{- $healthPort = true -}}{{- end -}}
{{- end -}}
{{- if not $healthPort -}}
{{- $errs = append $errs (printf "backstage.backstage.extraPorts lacks the port health (containerPort %v), Backstage's health listener that the probes use: Helm replaces lists, so copy the default entry from the chart's values.yaml into yours and append your ports after it" $health.port) -}}
{{- end -}}
{{- range $probe := list "readinessProbe" "livenessProbe" "startupProbe" -}}
{{- $p := get $b $probe | default dict -}}
{{- $get := $p.httpGet | default dict -}}
{{- if or $p.exec $p.tcpSocket $p.grpc -}}
{{- $errs = append $errs (printf "backstage.backstage.%s sets exec/tcpSocket/grpc: Helm merges it with the chart's httpGet (two handlers, refused by Kubernetes); keep the chart's httpGet on the health listener" $probe) -}}
{{- else if not (and (has (toString $get.port) (list "health" (toString $health.port))) (has (toString $get.path) (list "/.backstage/health/v1/readiness" "/.backstage/health/v1/liveness"))) -}}
{{- $errs = append $errs (printf "backstage.backstage.%s.httpGet=%s: probe Backstage's health listener (port health) on /.backstage/health/v1/readiness or /liveness, in every sign-in mode; oauth2-proxy serves no route without a login" $probe (toJson $get)) -}}
{{- end -}}
{{- end -}}
{{- /* the checksums that roll the pod */ -}}
{{- $ann := $b.podAnnotations | default dict -}}
{{- range $name, $want := dict "checksum/oauth2-proxy-secret" (include "backstage-keycloak.checksum.secret" .) "checksum/oauth2-proxy-config" (include "backstage-keycloak.checksum.config" .) -}}
{{- if ne (include "backstage-keycloak.tplValue" (dict "value" (get $ann $name) "ctx" $)) $want -}}
{{- $errs = append $errs (printf "backstage.backstage.podAnnotations.%s is not the chart's checksum: it rolls the pod when a secret or a proxy setting changes; leave it out of your values" $name) -}}
{{- end -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}

{{/*
The global.* value a derived appConfig key comes from, named in validation messages.
Usage:  {{ include "backstage-keycloak.derivedFrom" "auth.providers.oidc.production.prompt" }}
Params: . the appConfig path.
*/}}
{{- define "backstage-keycloak.derivedFrom" -}}
{{- $p := . -}}
{{- if contains "allowedGroups" $p -}}global.keycloak.allowedGroups
{{- else if contains "allowedRoles" $p -}}global.keycloak.allowedRoles
{{- else if contains "additionalScopes" $p -}}global.keycloak.allowedGroups (the `groups` scope)
{{- else if contains "adminGroups" $p -}}global.permissions.adminGroups
{{- else if contains "permissions.grants" $p -}}global.permissions.grants
{{- else if eq $p "catalog.readonly" -}}global.permissions.catalogReadonly
{{- else if hasPrefix "auth.session" $p -}}global.signIn.session.secret or existingSecret
{{- else if hasSuffix ".prompt" $p -}}global.signIn.prompt
{{- else if hasPrefix "backstageKeycloak.health" $p -}}nothing (the probes and the port health depend on it; it is fixed)
{{- else if hasSuffix ".header" $p -}}global.signIn.idTokenHeader
{{- else if or (hasSuffix ".clientId" $p) (hasSuffix ".audience" $p) -}}global.keycloak.clientId or global.keycloak.existingSecret
{{- else if hasSuffix ".clientSecret" $p -}}global.keycloak.clientSecret or global.keycloak.existingSecret
{{- else -}}global.signIn.mode and global.keycloak.issuerUrl/internalUrl
{{- end -}}
{{- end -}}
