{{/*
Rules of the oauth2-proxy settings: the images and global.oauth2Proxy.extraEnv (the allow-list of
tuning settings; every other setting is refused with its reason).
*/}}

{{/*
Image references of every container the umbrella renders (oauth2-proxy, the `helm test` pod, the
dev Keycloak) and global.imageRegistry; oauth2-proxy older than v7.15.5 is refused.
Usage:  {{ include "backstage-keycloak.validate.images" . | fromJsonArray }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate.images" -}}
{{- $errs := list -}}
{{- $o := .Values.global.oauth2Proxy -}}
{{- $registry := toString (.Values.global.imageRegistry | default "") -}}
{{- if and $registry (not (regexMatch (include "backstage-keycloak.registryPattern" .) $registry)) -}}
{{- $errs = append $errs (printf "global.imageRegistry=%q is not a registry host: use <host>[:<port>][/<path>], e.g. registry.example.com:5000/mirror" $registry) -}}
{{- end -}}
{{- $errs = concat $errs (include "backstage-keycloak.check.image" (dict "path" "global.oauth2Proxy.image" "image" $o.image) | fromJsonArray) -}}
{{- if (.Values.tests | default dict).enabled -}}
{{- $errs = concat $errs (include "backstage-keycloak.check.image" (dict "path" "tests.image" "image" .Values.tests.image) | fromJsonArray) -}}
{{- end -}}
{{- $kd := .Values.keycloakDev | default dict -}}
{{- if $kd.enabled -}}
{{- $errs = concat $errs (include "backstage-keycloak.check.image" (dict "path" "keycloakDev.image" "image" $kd.image) | fromJsonArray) -}}
{{- end -}}
{{- $tag := toString (($o.image | default dict).tag | default "") -}}
{{- $version := regexFind `^v?[0-9]+\.[0-9]+\.[0-9]+` $tag | trimPrefix "v" -}}
{{- if and (not ($o.image | default dict).digest) $version (not (semverCompare ">=7.15.5-0" $version)) -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.image.tag=%q is older than v7.15.5, which fixed the skip-auth path and client-IP spoofing bypasses (GHSA-63jm-59jj-478j, GHSA-wr5q-7wxw-x568): use v7.15.6" $tag) -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}

{{/*
global.oauth2Proxy.extraEnv: OAUTH2_PROXY_* settings only, none the chart derives or depends on
(backstage-keycloak.oauth2Proxy.ownedSettings), no secret, nothing that breaks Backstage.
Usage:  {{ include "backstage-keycloak.validate.extraEnv" . | fromJsonArray }}
Params: . the umbrella context.
*/}}
{{- define "backstage-keycloak.validate.extraEnv" -}}
{{- $errs := list -}}
{{- $owned := include "backstage-keycloak.oauth2Proxy.ownedSettings" . | fromYaml -}}
{{- $c := .Values.global.oauth2Proxy.cookie | default dict -}}
{{- range $name, $value := (.Values.global.oauth2Proxy.extraEnv | default dict) -}}
{{- $problem := include "backstage-keycloak.check.proxySetting" (dict "name" $name "value" $value "owned" $owned "ctx" $) -}}
{{- if not (regexMatch "^OAUTH2_PROXY_[A-Z0-9_]+$" $name) -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.extraEnv.%s: only OAUTH2_PROXY_* settings (upper case, digits, '_') belong here" $name) -}}
{{- else if $problem -}}
{{- $errs = append $errs (printf "global.oauth2Proxy.extraEnv.%s%s" $name $problem) -}}
{{- end -}}
{{- end -}}
{{- toJson $errs -}}
{{- end -}}

{{/*
Why one oauth2-proxy setting (environment variable, or --flag as its variable) may not be overridden,
as the tail of a message ("=true (--pass-authorization-header) breaks Backstage..."), or "" when it
may. Used for global.oauth2Proxy.extraEnv and the sidecar's env and args.
Usage:  {{ include "backstage-keycloak.check.proxySetting" (dict "name" "OAUTH2_PROXY_X" "value" "v" "owned" $owned "ctx" $) }}
Params: name   the environment variable
        value  its value
        owned  backstage-keycloak.oauth2Proxy.ownedSettings, parsed
        ctx    the umbrella context
*/}}
{{- define "backstage-keycloak.check.proxySetting" -}}
{{- $breaks := dict "OAUTH2_PROXY_PASS_AUTHORIZATION_HEADER" "--pass-authorization-header" "OAUTH2_PROXY_SET_AUTHORIZATION_HEADER" "--set-authorization-header" "OAUTH2_PROXY_SKIP_JWT_BEARER_TOKENS" "--skip-jwt-bearer-tokens" -}}
{{- $v := toString .value -}}
{{- $truthy := has (lower $v) (list "1" "t" "true") -}}
{{- $secrets := list "OAUTH2_PROXY_CLIENT_SECRET" "OAUTH2_PROXY_COOKIE_SECRET" "OAUTH2_PROXY_CLIENT_ID" "OAUTH2_PROXY_CLIENT_SECRET_FILE" "OAUTH2_PROXY_COOKIE_SECRET_FILE" "OAUTH2_PROXY_REDIS_PASSWORD" "OAUTH2_PROXY_REDIS_SENTINEL_PASSWORD" "OAUTH2_PROXY_REDIS_CLUSTER_CONNECTION_URLS" "OAUTH2_PROXY_REDIS_SENTINEL_CONNECTION_URLS" -}}
{{- if and (hasKey $breaks .name) $truthy -}}
{{- printf "=%s (%s) breaks Backstage: oauth2-proxy would overwrite the Backstage token in the Authorization header (or accept bearer tokens instead of the session). Remove it" $v (get $breaks .name) -}}
{{- else if eq .name "OAUTH2_PROXY_BASIC_AUTH_PASSWORD" -}}
{{- print ": it makes oauth2-proxy send Authorization: Basic, which replaces the Backstage token and breaks every API call. Remove it" -}}
{{- else if has .name $secrets -}}
{{- print ": secrets never go into the ConfigMap; use global.keycloak.clientId/clientSecret/existingSecret, global.oauth2Proxy.cookieSecret/existingSecret or global.oauth2Proxy.sessionStore.redis.password/existingSecret" -}}
{{- else if and (eq .name "OAUTH2_PROXY_SESSION_COOKIE_MINIMAL") $truthy (or (include "backstage-keycloak.verifiedToken" .ctx) (gt (include "backstage-keycloak.durationSeconds" ((.ctx.Values.global.oauth2Proxy.cookie | default dict).refresh | default "0") | atoi) 0)) -}}
{{- print "=true drops the tokens from the session, which cookie refresh (global.oauth2Proxy.cookie.refresh) and global.signIn.mode=verifiedToken need: oauth2-proxy refuses to start. Set global.oauth2Proxy.cookie.refresh=0 in oauth2Proxy mode, or remove it" -}}
{{- else if hasKey .owned .name -}}
{{- $instead := get .owned .name -}}
{{- if $instead -}}
{{- printf ": the chart derives this setting and depends on it; set %s instead" $instead -}}
{{- else -}}
{{- print ": the chart fixes this setting and Backstage depends on it; remove it" -}}
{{- end -}}
{{- else if and (hasPrefix "OAUTH2_PROXY_" .name) (not (hasKey (include "backstage-keycloak.oauth2Proxy.tunableSettings" .ctx | fromYaml) .name)) -}}
{{- $why := include "backstage-keycloak.proxySettingRisk" .name -}}
{{- printf ": %s. Only the harmless tuning settings of backstage-keycloak.oauth2Proxy.tunableSettings (logging, timeouts, banner/footer, CSRF cookie) may be added; remove it" $why -}}
{{- end -}}
{{- end -}}

{{/*
Why an oauth2-proxy setting outside the allow-list (backstage-keycloak.oauth2Proxy.tunableSettings)
is refused, as a short reason: the named ones each switch off a protection; the rest by class.
Usage:  {{ include "backstage-keycloak.proxySettingRisk" "OAUTH2_PROXY_TRUSTED_IPS" }}
Params: . the environment variable
*/}}
{{- define "backstage-keycloak.proxySettingRisk" -}}
{{- $n := trimPrefix "OAUTH2_PROXY_" . -}}
{{- $named := dict
  "TRUSTED_IPS" "it lets every request from those addresses through with no login at all"
  "SKIP_AUTH_STRIP_HEADERS" "=false would pass identity headers a client sent itself (X-Forwarded-User, -Email, -Groups) to Backstage"
  "INSECURE_OIDC_ALLOW_UNVERIFIED_EMAIL" "it accepts an email Keycloak never verified (one a user typed in the account console) as an identity"
  "SKIP_AUTH_PREFLIGHT" "it lets every OPTIONS request reach Backstage with no login"
  "OIDC_EMAIL_CLAIM" "it changes which token claim becomes the email Backstage signs users in by, possibly one a user can edit"
  "OIDC_GROUPS_CLAIM" "it changes which token claim becomes the groups that allowedGroups and the permission policy trust"
  "USER_ID_CLAIM" "it changes which token claim becomes the user identity"
  "OIDC_AUDIENCE_CLAIMS" "it changes which audience claim the ID token is checked against"
  "WHITELIST_DOMAINS" "it lets the post-login redirect leave global.host (an open redirect to those domains)"
  "EXTRA_JWT_ISSUERS" "it accepts bearer tokens from other issuers as sessions"
  "SHOW_DEBUG_ON_ERROR" "it shows internal error details to anyone"
  "REAL_CLIENT_IP_HEADER" "it makes oauth2-proxy believe a client-chosen header for the client address"
  "SKIP_CLAIMS_FROM_PROFILE_URL" "it changes where the identity claims come from"
  "INSECURE_OIDC_SKIP_ISSUER_VERIFICATION" "it accepts tokens of another issuer"
  "INSECURE_OIDC_SKIP_NONCE" "it switches off the nonce check of the ID token"
  "SSL_INSECURE_SKIP_VERIFY" "it switches off TLS verification of Keycloak"
  "SSL_UPSTREAM_INSECURE_SKIP_VERIFY" "it switches off TLS verification of the upstream"
  "PASS_BASIC_AUTH" "it replaces the Backstage token in the Authorization header"
  "PASS_HOST_HEADER" "it changes the Host Backstage sees"
  "PING_PATH" "it moves the probe endpoint the chart's probes call"
  "READY_PATH" "it moves the probe endpoint the chart's probes call"
  "PING_USER_AGENT" "it answers any path for that User-Agent without the proxy's checks"
  "SCOPE" "it changes the scopes of the sign-in, which the chart derives"
  "PROMPT" "it changes Keycloak's login prompt"
  "APPROVAL_PROMPT" "it changes Keycloak's login prompt"
-}}
{{- if hasKey $named $n -}}
{{- get $named $n -}}
{{- else if hasKey $named (printf "%sS" $n) -}}
{{- /* a repeatable flag's singular spelling (--trusted-ip for OAUTH2_PROXY_TRUSTED_IPS) */ -}}
{{- get $named (printf "%sS" $n) -}}
{{- else if or (hasPrefix "INSECURE_" $n) (contains "SKIP_VERIFY" $n) -}}
{{- print "it switches off a TLS or token check" -}}
{{- else if hasPrefix "SKIP_" $n -}}
{{- print "it skips a check of the sign-in" -}}
{{- else if regexMatch "^(AZURE|ENTRA_ID|GOOGLE|GITHUB|GITLAB|BITBUCKET|KEYCLOAK|LOGIN_GOV|ADFS|CLIENT_ASSERTION)_" $n -}}
{{- print "it configures another provider than keycloak-oidc (or one the chart does not use)" -}}
{{- else if regexMatch "^(COOKIE|SESSION|REDIS)_" $n -}}
{{- print "it changes the session or its cookie, which the chart derives from global.oauth2Proxy.cookie and sessionStore" -}}
{{- else if regexMatch "(_URL|_URLS|_ADDRESS|_FILE|_PATH|_DIR|_CA_FILES?)$" $n -}}
{{- print "it points oauth2-proxy at another endpoint, listener or file than the ones the chart wires" -}}
{{- else -}}
{{- print "it is not a tuning setting the chart has checked: it may change sign-in, identity, routing or TLS" -}}
{{- end -}}
{{- end -}}
