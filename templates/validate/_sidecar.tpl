{{/*
Rules of the sidecar entry of backstage.backstage.extraContainers: what the chart derives in it
(image, args, envFrom, credential env, ports, mounts) must stay as values.yaml has it.
*/}}

{{/*
The oauth2-proxy entry of backstage.backstage.extraContainers: present (Helm replaces lists), and
every field the chart derives left as the chart renders it: image, args, envFrom, the secret env,
ports and the alpha config mount. Other OAUTH2_PROXY_* env is checked like extraEnv.
Usage:  {{ include "backstage-keycloak.validate.sidecar" . | fromJsonArray }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate.sidecar" -}}
{{- $errs := list -}}
{{- $b := (.Values.backstage | default dict).backstage | default dict -}}
{{- $owned := include "backstage-keycloak.oauth2Proxy.ownedSettings" . | fromYaml -}}
{{- $refs := include "backstage-keycloak.secret.refs" . | fromYaml -}}
{{- $fullname := include "backstage-keycloak.oauth2Proxy.fullname" . -}}
{{- $sidecar := dict -}}
{{- range $ctr := ($b.extraContainers | default list) -}}
{{- if eq (toString $ctr.name) "oauth2-proxy" -}}{{- $sidecar = $ctr -}}{{- end -}}
{{- end -}}
{{- $at := "backstage.backstage.extraContainers[oauth2-proxy]" -}}
{{- if not (include "backstage-keycloak.proxyMode" .) -}}
{{- /* native modes: the wiring drops the sidecar; nothing to check */ -}}
{{- else if not $sidecar -}}
{{- $errs = append $errs "backstage.backstage.extraContainers has no container named oauth2-proxy: Helm replaces lists, so copy the default oauth2-proxy entry from the chart's values.yaml into yours and append your containers after it" -}}
{{- else -}}
{{- /* image */ -}}
{{- $image := include "backstage-keycloak.oauth2Proxy.image" . -}}
{{- if ne (include "backstage-keycloak.tplValue" (dict "value" $sidecar.image "ctx" $)) $image -}}
{{- $errs = append $errs (printf "%s.image=%q: the chart derives the image (%s); set global.oauth2Proxy.image.* or global.imageRegistry instead, and keep the entry's image as in values.yaml" $at (toString $sidecar.image) $image) -}}
{{- end -}}
{{- /* args */ -}}
{{- $alpha := printf "--alpha-config=%s" (include "backstage-keycloak.oauth2Proxy.alphaConfigPath" .) -}}
{{- $breaks := dict "--pass-authorization-header" true "--set-authorization-header" true "--skip-jwt-bearer-tokens" true -}}
{{- $sawAlpha := false -}}
{{- range $arg := ($sidecar.args | default list) -}}
{{- $a := include "backstage-keycloak.tplValue" (dict "value" $arg "ctx" $) -}}
{{- $flag := regexReplaceAll "=.*$" $a "" -}}
{{- if eq $a $alpha -}}{{- $sawAlpha = true -}}
{{- else if and (hasKey $breaks $flag) (not (hasSuffix "=false" $a)) -}}
{{- $errs = append $errs (printf "%s.args has %q: it breaks Backstage (the Backstage token in Authorization would be replaced, or bearer tokens accepted). Remove it" $at (toString $arg)) -}}
{{- else if hasPrefix "--alpha-config" $a -}}
{{- $errs = append $errs (printf "%s.args has %q: the chart sets --alpha-config from global.signIn.mode; keep the entry's args as in values.yaml" $at (toString $arg)) -}}
{{- else -}}
{{- $env := printf "OAUTH2_PROXY_%s" (trimPrefix "--" $flag | upper | replace "-" "_") -}}
{{- $problem := include "backstage-keycloak.check.proxySetting" (dict "name" $env "value" (ternary (regexReplaceAll "^[^=]*=" $a "") "true" (contains "=" $a)) "owned" $owned "ctx" $) -}}
{{- if $problem -}}
{{- $errs = append $errs (printf "%s.args has %q (%s)%s" $at (toString $arg) $env $problem) -}}
{{- else -}}
{{- $errs = append $errs (printf "%s.args has %q: the sidecar takes its settings from the chart's ConfigMap; put it in global.oauth2Proxy.extraEnv.%s instead" $at (toString $arg) $env) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if not $sawAlpha -}}
{{- $errs = append $errs (printf "%s.args lacks %q: the chart selects the sidecar's configuration with it; keep the entry's args as in values.yaml" $at $alpha) -}}
{{- end -}}
{{- /* envFrom: our ConfigMap */ -}}
{{- $cm := false -}}
{{- range $from := ($sidecar.envFrom | default list) -}}
{{- if eq (include "backstage-keycloak.tplValue" (dict "value" ((get $from "configMapRef" | default dict).name) "ctx" $)) $fullname -}}{{- $cm = true -}}{{- end -}}
{{- end -}}
{{- if not $cm -}}
{{- $errs = append $errs (printf "%s.envFrom does not load the ConfigMap %s: the proxy's settings are there; keep the entry's envFrom as in values.yaml" $at $fullname) -}}
{{- end -}}
{{- /* no other envFrom: a ConfigMap or Secret loaded whole could set any OAUTH2_PROXY_* setting unchecked */ -}}
{{- range $from := ($sidecar.envFrom | default list) -}}
{{- $name := include "backstage-keycloak.tplValue" (dict "value" ((get $from "configMapRef" | default dict).name) "ctx" $) -}}
{{- if or (ne $name $fullname) (get $from "secretRef") (get $from "prefix") -}}
{{- $errs = append $errs (printf "%s.envFrom has %s: a ConfigMap or Secret loaded whole could set any oauth2-proxy setting past the chart's checks; put tuning settings in global.oauth2Proxy.extraEnv, and keep the entry's envFrom as in values.yaml" $at (toJson $from)) -}}
{{- end -}}
{{- end -}}
{{- /* env: the three credentials by secretKeyRef, nothing the chart owns */ -}}
{{- $creds := dict "OAUTH2_PROXY_CLIENT_ID" $refs.clientId "OAUTH2_PROXY_CLIENT_SECRET" $refs.clientSecret "OAUTH2_PROXY_COOKIE_SECRET" $refs.cookieSecret -}}
{{- /* the Redis password: always a reference to where the chart puts it (optional), required when in use */ -}}
{{- $optionalCreds := dict "OAUTH2_PROXY_REDIS_PASSWORD" $refs.redisPassword -}}
{{- $seen := dict -}}
{{- range $e := ($sidecar.env | default list) -}}
{{- $name := toString $e.name -}}
{{- if hasKey $optionalCreds $name -}}
{{- $want := get $optionalCreds $name -}}
{{- $ref := (($e.valueFrom | default dict).secretKeyRef | default dict) -}}
{{- $gotName := include "backstage-keycloak.tplValue" (dict "value" $ref.name "ctx" $) -}}
{{- $gotKey := include "backstage-keycloak.tplValue" (dict "value" $ref.key "ctx" $) -}}
{{- if or (ne $gotName $want.name) (ne $gotKey $want.key) -}}
{{- $errs = append $errs (printf "%s.env %s reads Secret %q key %q, but the Redis password is in Secret %q key %q: set global.oauth2Proxy.sessionStore.redis.password or existingSecret/existingSecretKey instead, and keep the entry's env as in values.yaml" $at $name $gotName $gotKey $want.name $want.key) -}}
{{- end -}}
{{- $_ := set $seen $name true -}}
{{- else if hasKey $creds $name -}}
{{- $want := get $creds $name -}}
{{- $ref := (($e.valueFrom | default dict).secretKeyRef | default dict) -}}
{{- $gotName := include "backstage-keycloak.tplValue" (dict "value" $ref.name "ctx" $) -}}
{{- $gotKey := include "backstage-keycloak.tplValue" (dict "value" $ref.key "ctx" $) -}}
{{- if or (ne $gotName $want.name) (ne $gotKey $want.key) -}}
{{- $errs = append $errs (printf "%s.env %s reads Secret %q key %q, but the credential is in Secret %q key %q: set global.keycloak.existingSecret/existingSecretKeys or global.oauth2Proxy.existingSecret/existingSecretKeys instead, and keep the entry's env as in values.yaml" $at $name $gotName $gotKey $want.name $want.key) -}}
{{- end -}}
{{- $_ := set $seen $name true -}}
{{- else -}}
{{- $problem := include "backstage-keycloak.check.proxySetting" (dict "name" $name "value" (toString ($e.value | default "")) "owned" $owned "ctx" $) -}}
{{- if $problem -}}
{{- $errs = append $errs (printf "%s.env %s%s" $at $name $problem) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $name := keys $creds | sortAlpha -}}
{{- if not (hasKey $seen $name) -}}
{{- $errs = append $errs (printf "%s.env lacks %s (from a secretKeyRef): keep the entry's env as in values.yaml" $at $name) -}}
{{- end -}}
{{- end -}}
{{- if and $refs.redisPassword.enabled (not (hasKey $seen "OAUTH2_PROXY_REDIS_PASSWORD")) -}}
{{- $errs = append $errs (printf "%s.env lacks OAUTH2_PROXY_REDIS_PASSWORD (from a secretKeyRef), which global.oauth2Proxy.sessionStore.redis needs: keep the entry's env as in values.yaml" $at) -}}
{{- end -}}
{{- /* ports the Service, the NetworkPolicy and the probes name */ -}}
{{- range $want := list (list "oauth2-proxy" 4180) (list "oauth2-metrics" 44180) -}}
{{- $found := false -}}
{{- range $p := ($sidecar.ports | default list) -}}
{{- if and (eq (toString $p.name) (index $want 0)) (eq (toString $p.containerPort) (toString (index $want 1))) -}}{{- $found = true -}}{{- end -}}
{{- end -}}
{{- if not $found -}}
{{- $errs = append $errs (printf "%s.ports lacks %s (containerPort %d): the Service, the NetworkPolicy and the probes use it; keep the entry's ports as in values.yaml" $at (index $want 0) (index $want 1)) -}}
{{- end -}}
{{- end -}}
{{- /* the alpha config mount */ -}}
{{- $mounted := false -}}
{{- range $m := ($sidecar.volumeMounts | default list) -}}
{{- if and (eq (toString $m.name) "oauth2-proxy-alpha") (eq (toString $m.mountPath) "/etc/oauth2-proxy") -}}{{- $mounted = true -}}{{- end -}}
{{- end -}}
{{- if not $mounted -}}
{{- $errs = append $errs (printf "%s.volumeMounts lacks oauth2-proxy-alpha at /etc/oauth2-proxy: the alpha config of global.signIn.mode=verifiedToken is mounted there; keep the entry's volumeMounts as in values.yaml" $at) -}}
{{- end -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}
