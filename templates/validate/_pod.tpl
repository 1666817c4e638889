{{/*
Rules of the Backstage pod's lists (templates/_pod.tpl): the four values the chart builds hold
exactly the item values.yaml gives them, the user's additions go through global.*, the values the
native modes change with the mode (values/modes/native.yaml) match the mode, and Backstage loads
the sign-in configuration.
*/}}

{{/*
The pod's lists and the mode's values.
Usage:  {{ include "backstage-keycloak.validate.pod" . | fromJsonArray }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate.pod" -}}
{{- $errs := list -}}
{{- $g := .Values.global -}}
{{- $bs := .Values.backstage | default dict -}}
{{- $b := $bs.backstage | default dict -}}
{{- $mode := include "backstage-keycloak.signInMode" . -}}
{{- $proxy := eq (include "backstage-keycloak.proxyMode" .) "true" -}}
{{- $overlay := "values/modes/native.yaml (backstage.backstage.extraContainers: [] and backstage.service.ports.targetPort: backend)" -}}
{{- /* the hosted values: exactly the chart's item */ -}}
{{- range $key, $h := (include "backstage-keycloak.pod.hosts" . | fromYaml) -}}
{{- $host := include "backstage-keycloak.pod.host" $key -}}
{{- $items := get $b $key | default list -}}
{{- $names := list -}}
{{- $hosted := false -}}
{{- range $items -}}
{{- if not (kindIs "map" .) -}}{{- $names = append $names (toString .) -}}
{{- else if and (eq (toString .name) $host) (eq (len .) 1) -}}{{- $hosted = true -}}
{{- else -}}{{- $names = append $names (toString .name) -}}{{- end -}}
{{- end -}}
{{- if and (eq $key "extraContainers") (not $proxy) -}}
{{- if $hosted -}}
{{- $errs = append $errs (printf "global.signIn.mode=%s runs no oauth2-proxy sidecar, but backstage.backstage.extraContainers still holds the chart's sidecar item: apply %s together with the mode" $mode $overlay) -}}
{{- end -}}
{{- if $g.extraContainers -}}
{{- $errs = append $errs (printf "global.extraContainers is appended after the oauth2-proxy sidecar, which global.signIn.mode=%s does not run: list these containers in backstage.backstage.extraContainers instead (values/modes/native.yaml sets it to [])" $mode) -}}
{{- end -}}
{{- else if and (eq $key "extraContainers") (not $hosted) (not $items) -}}
{{- $errs = append $errs (printf "global.signIn.mode=%s needs the oauth2-proxy sidecar, but backstage.backstage.extraContainers is empty (values/modes/native.yaml is for the native modes only): remove backstage.backstage.extraContainers and backstage.service.ports.targetPort from your values (with helm upgrade --reuse-values, add --reset-values)" $mode) -}}
{{- else if or (not $hosted) $names -}}
{{- $what := ternary (printf " (%s)" (join ", " $names)) "" (not (empty $names)) -}}
{{- $errs = append $errs (printf "backstage.backstage.%s is built by the chart (templates/_pod.tpl), but your values replace it%s: remove backstage.backstage.%s from your values and list your own items under %s" $key $what $key $h.instead) -}}
{{- end -}}
{{- end -}}
{{- /* the Service sends traffic to the sidecar (proxy modes) or to Backstage (native modes) */ -}}
{{- $target := ((($bs.service | default dict).ports | default dict).targetPort) | default "" | toString -}}
{{- if and $proxy (ne $target "oauth2-proxy") -}}
{{- $errs = append $errs (printf "backstage.service.ports.targetPort=%q: in global.signIn.mode=%s the Service must send traffic to the sidecar's port \"oauth2-proxy\", never to Backstage directly; remove it from your values (values/modes/native.yaml is for the native modes only)" $target $mode) -}}
{{- else if and (not $proxy) (ne $target "backend") -}}
{{- $errs = append $errs (printf "backstage.service.ports.targetPort=%q: in global.signIn.mode=%s the Service sends traffic to Backstage's port \"backend\": apply %s together with the mode" $target $mode $overlay) -}}
{{- end -}}
{{- /* Backstage loads the sign-in configuration */ -}}
{{- $file := (include "backstage-keycloak.signInConfig.mount" . | fromYaml).file -}}
{{- $args := $b.args | default list -}}
{{- $loaded := false -}}
{{- range $i, $a := $args -}}
{{- if and (eq (toString $a) $file) (gt $i 0) (eq (toString (index $args (sub $i 1))) "--config") -}}{{- $loaded = true -}}{{- end -}}
{{- end -}}
{{- if not $loaded -}}
{{- $errs = append $errs (printf "backstage.backstage.args=%s lacks \"--config\", %q: Backstage reads its sign-in provider and settings from that file; keep the chart's args and add yours around them" (toJson $args) $file) -}}
{{- end -}}
{{- /* the user's additions: nothing that replaces or shadows the chart's items */ -}}
{{- $own := include "backstage-keycloak.pod.ownLists" . | fromYaml -}}
{{- /* names the chart's items have in any mode, and the upstream chart's own (container, env) */ -}}
{{- $ours := dict "extraContainers" (list "backstage-backend" "oauth2-proxy") "extraVolumes" (list "oauth2-proxy-alpha") "extraEnvVars" (list "POSTGRES_HOST" "POSTGRES_PORT" "POSTGRES_USER" "POSTGRES_PASSWORD" "APP_CONFIG_backend_listen_port" "KEYCLOAK_CLIENT_SECRET" "AUTH_SESSION_SECRET") -}}
{{- range $v := $own.volumes -}}{{- $_ := set $ours "extraVolumes" (append $ours.extraVolumes (toString $v.name)) -}}{{- end -}}
{{- range $e := $own.env -}}{{- $_ := set $ours "extraEnvVars" (append $ours.extraEnvVars (toString $e.name)) -}}{{- end -}}
{{- range $key, $taken := $ours -}}
{{- range $i, $item := (get $g $key | default list) -}}
{{- $name := "" -}}{{- if kindIs "map" $item -}}{{- $name = toString $item.name -}}{{- end -}}
{{- if not (kindIs "map" $item) -}}
{{- $errs = append $errs (printf "global.%s[%d] is not an object: write a Kubernetes %s entry" $key $i (trimPrefix "extra" $key)) -}}
{{- else if has $name $taken -}}
{{- $errs = append $errs (printf "global.%s[%d] is named %q, which the chart's own item has: choose another name (to change the chart's item, set the global.* value it is derived from)" $key $i $name) -}}
{{- else if and (eq $key "extraEnvVars") (regexMatch `^APP_CONFIG_(auth|backstageKeycloak|permission|backend_listen|backend_baseUrl|app_baseUrl|techdocs)(_|$)` $name) -}}
{{- $errs = append $errs (printf "global.extraEnvVars[%d] %s would override configuration the chart derives from global.*: set the global.* value instead" $i $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $mount := include "backstage-keycloak.signInConfig.mount" . | fromYaml -}}
{{- range $i, $m := ($g.extraVolumeMounts | default list) -}}
{{- $path := "" -}}{{- if kindIs "map" $m -}}{{- $path = toString $m.mountPath -}}{{- end -}}
{{- if or (eq (trimSuffix "/" $path) "/tmp") (eq (trimSuffix "/" $path) $mount.dir) (hasPrefix (printf "%s/" $mount.dir) $path) -}}
{{- $errs = append $errs (printf "global.extraVolumeMounts[%d] mounts at %q, where the chart mounts /tmp or the sign-in configuration (%s): choose another path" $i $path $mount.dir) -}}
{{- end -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}
