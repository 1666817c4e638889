{{/*
Render-time validation. Each backstage-keycloak.validate.<concern> helper checks one concern and
prints its problems as a JSON list of lines, each naming the value and the fix; the aggregator
backstage-keycloak.validate runs them all and fails the render with every problem at once. The
template validate.yaml runs the aggregator once per render; Helm renders every template on each
install, upgrade, template and lint, so no command renders a broken release.

What is checked: the values oauth2-proxy, Keycloak, Backstage or Kubernetes would reject at run time
(URLs, durations, cookie secret and cookie name, CIDRs, header names, image references, Secret
names), every escape hatch (global.oauth2Proxy.extraEnv, appConfig, global.extraEnvVars and the
other additions to the pod, probes) that would change a setting the chart derives and depends on,
and the four pod lists the chart builds (a user's own list is refused, naming the global.* value to
use): those are refused with the value to set instead.

Values that reach a YAML document through `tpl` in single quotes (appConfig), the alpha config
(which oauth2-proxy runs through envsubst: "$" is expanded) or a Backstage config value (where
"${...}" is substituted) may not contain quotes, "$" or control characters.

Files (templates/validate/): _validate.tpl the aggregator and the placeholders; _checks.tpl the
generic checks (URL, duration, CIDR, list items, image, tpl values), independent of our values; the
rules about our values by concern: _sign-in.tpl, _hosts.tpl, _credentials.tpl, _proxy.tpl, _pod.tpl,
_backstage.tpl, _privilege.tpl, _metrics.tpl.
*/}}

{{/*
Runs every check and fails the render with all problems, each naming the value and the fix.
Placeholders of values/values-backstage-keycloak.yaml are reported first, alone.
Usage:  {{- include "backstage-keycloak.validate" . -}}   (in templates/validate.yaml)
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate" -}}
{{- $placeholders := include "backstage-keycloak.validate.placeholders" . | fromJsonArray -}}
{{- if $placeholders -}}
{{- fail (printf "\n\nbackstage-keycloak: fill in the placeholders of values-backstage-keycloak.yaml:\n  - %s\n" (join "\n  - " $placeholders)) -}}
{{- end -}}
{{- $errs := list -}}
{{- range $concern := list "signIn" "modeValues" "host" "keycloak" "hosts" "credentials" "generatedSecrets" "cookie" "sessionStore" "access" "images" "extraEnv" "pod" "backstage" "privilege" "techdocs" "metrics" -}}
{{- $errs = concat $errs (include (printf "backstage-keycloak.validate.%s" $concern) $ | fromJsonArray) -}}
{{- end -}}
{{- if $errs -}}
{{- fail (printf "\n\nbackstage-keycloak: invalid values:\n  - %s\n" (join "\n  - " $errs)) -}}
{{- end -}}
{{- end -}}

{{/*
Placeholders "<REQUIRED ...>" of values/values-backstage-keycloak.yaml still in place.
Usage:  {{ include "backstage-keycloak.validate.placeholders" . | fromJsonArray }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate.placeholders" -}}
{{- $errs := list -}}
{{- $g := .Values.global -}}
{{- $k := $g.keycloak -}}
{{- $o := $g.oauth2Proxy -}}
{{- range $path, $v := dict "global.host" $g.host "global.keycloak.issuerUrl" $k.issuerUrl "global.keycloak.clientId" $k.clientId "global.keycloak.clientSecret" $k.clientSecret "global.keycloak.existingSecret" $k.existingSecret "global.oauth2Proxy.cookieSecret" $o.cookieSecret "global.oauth2Proxy.existingSecret" $o.existingSecret "global.keycloak.catalogSync.clientSecret" (($k.catalogSync | default dict).clientSecret) -}}
{{- if hasPrefix "<REQUIRED" (toString $v) -}}
{{- $errs = append $errs (printf "%s still holds the placeholder %q: replace it with your value" $path (toString $v)) -}}
{{- end -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}
