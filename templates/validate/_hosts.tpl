{{/*
Rules of the public address: Backstage is served at the root of ONE host name, global.host. Its
app.baseUrl, the redirect URI registered in Keycloak (oauth2-proxy's /oauth2/callback or Backstage's
/api/auth/<provider>/handler/frame) and the session cookie are all derived from that host at "/",
so a sub-path or a second host name would route requests the login cannot complete. The upstream
chart's keys that imply one (backstage.ingress.path, .extraHosts, .extraTls, a different
backstage.ingress.host, backstage.httpRoute.hostnames and path matches) are refused here, each
with what to do instead. A path in global.host itself is refused by the host rule (_sign-in.tpl).
*/}}

{{/*
Sub-paths and other host names in the Ingress and the HTTPRoute.
Usage:  {{ include "backstage-keycloak.validate.hosts" . | fromJsonArray }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate.hosts" -}}
{{- $errs := list -}}
{{- $name := include "backstage-keycloak.hostname" . -}}
{{- $b := .Values.backstage | default dict -}}
{{- $ing := $b.ingress | default dict -}}
{{- $route := $b.httpRoute | default dict -}}
{{- $subPath := "a sub-path install is not supported: Backstage's app.baseUrl, the login redirect URI and the session cookie are at the root of global.host" -}}
{{- $otherHost := printf "other host names are not supported: the login redirect URI and the session cookie are bound to global.host (%s)" $name -}}
{{- $aliasFix := "give Backstage a host name of its own in global.host, and send the other name there with a redirect in your ingress controller or DNS (or install a second release for it)" -}}
{{- if $name -}}
{{- $path := toString ($ing.path | default "/") -}}
{{- if ne $path "/" -}}
{{- $errs = append $errs (printf "backstage.ingress.path=%q: %s; remove backstage.ingress.path and serve Backstage at the root of its own host name (global.host)" $path $subPath) -}}
{{- end -}}
{{- $host := tpl (toString ($ing.host | default "")) $ -}}
{{- if and $ing.enabled $host (ne $host $name) -}}
{{- $errs = append $errs (printf "backstage.ingress.host=%q differs from global.host's name %q: %s; remove backstage.ingress.host (it derives from global.host), or set global.host=%s" $host $name $otherHost $host) -}}
{{- end -}}
{{- range $i, $h := ($ing.extraHosts | default list) -}}
{{- $errs = append $errs (printf "backstage.ingress.extraHosts[%d] (%s): %s; remove it and %s" $i (toJson $h) $otherHost $aliasFix) -}}
{{- end -}}
{{- range $i, $t := ($ing.extraTls | default list) -}}
{{- $hosts := list -}}
{{- if kindIs "map" $t -}}{{- $hosts = $t.hosts | default list -}}{{- end -}}
{{- range $h := $hosts -}}
{{- if ne (toString $h) $name -}}
{{- $errs = append $errs (printf "backstage.ingress.extraTls[%d].hosts holds %q: %s; remove it and %s" $i (toString $h) $otherHost $aliasFix) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if $route.enabled -}}
{{- $names := $route.hostnames | default list -}}
{{- if not $names -}}
{{- $errs = append $errs (printf "backstage.httpRoute.hostnames is empty, so the HTTPRoute answers every host name of its Gateway: %s; set backstage.httpRoute.hostnames: [%s]" $otherHost $name) -}}
{{- end -}}
{{- range $i, $h := $names -}}
{{- if ne (toString $h) $name -}}
{{- $errs = append $errs (printf "backstage.httpRoute.hostnames[%d]=%q differs from global.host's name %q: %s; set backstage.httpRoute.hostnames: [%s]" $i (toString $h) $name $otherHost $name) -}}
{{- end -}}
{{- end -}}
{{- range $i, $rule := ($route.rules | default list) -}}
{{- $matches := list -}}
{{- if kindIs "map" $rule -}}{{- $matches = $rule.matches | default list -}}{{- end -}}
{{- range $j, $m := $matches -}}
{{- $p := dict -}}
{{- if kindIs "map" $m -}}{{- $p = $m.path | default dict -}}{{- end -}}
{{- if and (kindIs "map" $p) (hasKey $p "value") (ne (toString $p.value) "/") -}}
{{- $errs = append $errs (printf "backstage.httpRoute.rules[%d].matches[%d].path.value=%q: %s; match the path \"/\" (PathPrefix) only" $i $j (toString $p.value) $subPath) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}
