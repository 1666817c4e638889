{{/*
The Backstage pod's lists, built by the chart as a pure function of values.

The upstream chart turns backstage.backstage.extraContainers, extraVolumes, extraVolumeMounts and
extraEnvVars into YAML and runs that text through `tpl` (its contract; the stand-in does the same).
Its schema wants each to be a list of objects, so values.yaml gives each ONE item whose name ends in
an include:

    extraVolumes:
      - name: 'tmp{{ include "backstage-keycloak.pod.rest" (dict "list" "volumes" "ctx" .) }}'

YAML leaves that string unquoted (it does not start with a flow indicator), so `tpl` replaces the
include in place: it prints the rest of the first item (its other fields) and then the list's other
items. What a list holds is decided here, from global.signIn.mode and the user's additions
(global.extraContainers, global.extraVolumes, global.extraVolumeMounts, global.extraEnvVars); no
template edits the subchart's values, and nothing depends on the order Helm renders templates in.
backstage-keycloak.validate.pod (templates/validate/_pod.tpl) refuses any other content in those
four values, naming the global.* value to use instead.

The native sign-in modes (oidc, oauth2) run no sidecar, and a template inside a list item cannot
remove the item, so their values overlay values/modes/native.yaml sets extraContainers to [] (and
the Service's targetPort to Backstage's port); the validation names it when it is missing.
*/}}

{{/*
The four hosted values: value under backstage.backstage -> the list it hosts and the name of the
list's first item (which the host item carries), as a YAML map. The string values.yaml must hold
in each is backstage-keycloak.pod.host.
Usage:  {{ $hosts := include "backstage-keycloak.pod.hosts" . | fromYaml }}
Params: . any context (constant).
*/}}
{{- define "backstage-keycloak.pod.hosts" -}}
{{- toYaml (dict
  "extraContainers" (dict "list" "containers" "first" "oauth2-proxy" "instead" "global.extraContainers")
  "extraVolumes" (dict "list" "volumes" "first" "tmp" "instead" "global.extraVolumes")
  "extraVolumeMounts" (dict "list" "volumeMounts" "first" "tmp" "instead" "global.extraVolumeMounts")
  "extraEnvVars" (dict "list" "env" "first" "BACKSTAGE_SIGNIN_MODE" "instead" "global.extraEnvVars")) -}}
{{- end -}}

{{/*
The name of the one item values.yaml puts in a hosted value (see the top of this file), or in
extraPorts (the first of its items: the chart's ports).
Usage:  {{ include "backstage-keycloak.pod.host" "extraVolumes" }}
Params: . the hosted value's key under backstage.backstage (or extraPorts).
*/}}
{{- define "backstage-keycloak.pod.host" -}}
{{- /* extraPorts also has a host item, but the user's ports follow it in that value */ -}}
{{- $hosts := set (include "backstage-keycloak.pod.hosts" . | fromYaml) "extraPorts" (dict "list" "ports" "first" "health") -}}
{{- $h := get $hosts . -}}
{{- printf "%s{{ include \"backstage-keycloak.pod.rest\" (dict \"list\" \"%s\" \"ctx\" .) }}" $h.first $h.list -}}
{{- end -}}

{{/*
The Backstage pod's lists, as a YAML map of lists:
  containers    the oauth2-proxy sidecar (proxy modes), then global.extraContainers
  volumes       tmp (a writable /tmp), the sidecar's alpha config (proxy modes), the sign-in
                configuration, then global.extraVolumes
  volumeMounts  the Backstage container's: /tmp, the sign-in configuration, then
                global.extraVolumeMounts
  env           the Backstage container's: sign-in mode, catalog sync, credentials from Secrets
                (the client secret and session secret in the native modes only), the metrics
                port (global.metrics.enabled), then global.extraEnvVars
  ports         the Backstage container's: health (the probes' listener), metrics
                (global.metrics.enabled); backstage.backstage.extraPorts has the host item first,
                and the user's ports follow it in that value (there is no global.* list for them)
The user's items go through `tpl` like the upstream chart's own values.
Usage:  {{ $lists := include "backstage-keycloak.pod.lists" . | fromYaml }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.pod.lists" -}}
{{- $own := include "backstage-keycloak.pod.ownLists" . | fromYaml -}}
{{- $out := dict -}}
{{- range $list, $key := dict "containers" "extraContainers" "volumes" "extraVolumes" "volumeMounts" "extraVolumeMounts" "env" "extraEnvVars" -}}
{{- $items := get $.Values.global $key | default list -}}
{{- $user := ternary (tpl (toYaml $items) $ | fromYamlArray) $items (contains "{{" (toJson $items)) -}}
{{- $_ := set $out $list (concat (get $own $list) $user) -}}
{{- end -}}
{{- $_ := set $out "ports" $own.ports -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
The chart's own items of the pod's lists (backstage-keycloak.pod.lists without the user's), as a
YAML map of lists.
Usage:  {{ $own := include "backstage-keycloak.pod.ownLists" . | fromYaml }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.pod.ownLists" -}}
{{- $g := .Values.global -}}
{{- $proxy := eq (include "backstage-keycloak.proxyMode" .) "true" -}}
{{- $refs := include "backstage-keycloak.secret.refs" . | fromYaml -}}
{{- $signIn := include "backstage-keycloak.signInConfig.mount" . | fromYaml -}}
{{- $containers := ternary (list (include "backstage-keycloak.oauth2Proxy.container" . | fromYaml)) list $proxy -}}
{{- $volumes := list (dict "name" "tmp" "emptyDir" (dict "sizeLimit" "256Mi")) -}}
{{- if $proxy -}}
{{- $volumes = append $volumes (dict "name" "oauth2-proxy-alpha" "configMap" (dict "name" (printf "%s-alpha" (include "backstage-keycloak.oauth2Proxy.fullname" .)))) -}}
{{- end -}}
{{- $volumes = append $volumes (dict "name" $signIn.volume "configMap" (dict "name" (include "backstage-keycloak.signInConfig.name" .))) -}}
{{- $mounts := list (dict "name" "tmp" "mountPath" "/tmp") (dict "name" $signIn.volume "mountPath" $signIn.dir "readOnly" true) -}}
{{- $env := list
  (dict "name" "BACKSTAGE_SIGNIN_MODE" "value" (include "backstage-keycloak.signInMode" .))
  (dict "name" "BACKSTAGE_KEYCLOAK_CATALOG_SYNC" "value" (toString (not (empty $g.keycloak.catalogSync.enabled))))
  (dict "name" "KEYCLOAK_CATALOG_CLIENT_SECRET" "valueFrom" (dict "secretKeyRef" (dict "name" $refs.catalogClientSecret.name "key" $refs.catalogClientSecret.key "optional" true)))
  (dict "name" "KEYCLOAK_CLIENT_ID" "valueFrom" (dict "secretKeyRef" (dict "name" $refs.clientId.name "key" $refs.clientId.key))) -}}
{{- if not $proxy -}}
{{- $env = append $env (dict "name" "KEYCLOAK_CLIENT_SECRET" "valueFrom" (dict "secretKeyRef" (dict "name" $refs.clientSecret.name "key" $refs.clientSecret.key))) -}}
{{- $env = append $env (dict "name" "AUTH_SESSION_SECRET" "valueFrom" (dict "secretKeyRef" (dict "name" $refs.sessionSecret.name "key" $refs.sessionSecret.key))) -}}
{{- end -}}
{{- $health := include "backstage-keycloak.healthListen" . | fromYaml -}}
{{- $ports := list (dict "name" "health" "containerPort" $health.port "protocol" "TCP") -}}
{{- if include "backstage-keycloak.metrics.enabled" . -}}
{{- $metricsPort := (include "backstage-keycloak.metrics.ports" . | fromYaml).backstage -}}
{{- $env = append $env (dict "name" "BACKSTAGE_METRICS_PORT" "value" (toString $metricsPort)) -}}
{{- $ports = append $ports (dict "name" "metrics" "containerPort" $metricsPort "protocol" "TCP") -}}
{{- end -}}
{{- toYaml (dict "containers" $containers "volumes" $volumes "volumeMounts" $mounts "env" $env "ports" $ports) -}}
{{- end -}}

{{/*
Prints what follows the host item's name in a hosted list: the first item's other fields, then the
other items (see the top of this file).
Usage:  name: 'tmp{{ include "backstage-keycloak.pod.rest" (dict "list" "volumes" "ctx" .) }}'
Params: list  containers, volumes, volumeMounts, env or ports (backstage-keycloak.pod.lists)
        ctx   the chart context (the subchart's, from the upstream chart's `tpl`)
*/}}
{{- define "backstage-keycloak.pod.rest" -}}
{{- $items := get (include "backstage-keycloak.pod.lists" .ctx | fromYaml) .list -}}
{{- if $items -}}
{{- $first := omit (first $items) "name" -}}
{{- if $first -}}{{- printf "\n%s" (toYaml $first | indent 2) -}}{{- end -}}
{{- if gt (len $items) 1 -}}{{- printf "\n%s" (toYaml (rest $items)) -}}{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The sign-in configuration of Backstage: the app-config keys the chart derives for the sign-in mode
(backstage-keycloak.mode.appConfig) and TechDocs (backstage-keycloak.techdocs.appConfig), in the
ConfigMap backstage-keycloak.signInConfig.name, which every mode mounts and backstage.backstage.args
loads (`--config`) before appConfig. As a YAML map.
Usage:  {{ include "backstage-keycloak.signInConfig" . }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.signInConfig" -}}
{{- $app := ((.Values.backstage | default dict).backstage | default dict).appConfig | default (((.Values.backstage | default dict).appConfig) | default dict) -}}
{{- $env := ((($app.auth | default dict).environment) | default "production") | toString -}}
{{- $cfg := include "backstage-keycloak.mode.appConfig" (dict "ctx" . "env" $env) | fromYaml -}}
{{- toYaml (merge $cfg (include "backstage-keycloak.techdocs.appConfig" . | fromYaml)) -}}
{{- end -}}

{{/*
Name of the sign-in configuration's ConfigMap: "<release>-backstage-sign-in".
Usage:  {{ include "backstage-keycloak.signInConfig.name" . }}
Params: . the chart context (umbrella or subchart).
*/}}
{{- define "backstage-keycloak.signInConfig.name" -}}
{{- printf "%s-backstage-sign-in" (.Release.Name | trunc 44 | trimSuffix "-") -}}
{{- end -}}

{{/*
Where the Backstage container finds the sign-in configuration, as a YAML map {volume, dir, file}:
backstage.backstage.args loads `file` with --config.
Usage:  {{ $m := include "backstage-keycloak.signInConfig.mount" . | fromYaml }}
Params: . any context (constant).
*/}}
{{- define "backstage-keycloak.signInConfig.mount" -}}
{{- toYaml (dict "volume" "backstage-keycloak-sign-in" "dir" "/etc/backstage-keycloak" "file" "/etc/backstage-keycloak/app-config.sign-in.yaml") -}}
{{- end -}}
