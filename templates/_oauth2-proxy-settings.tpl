{{/*
Which oauth2-proxy settings the chart owns (and what to set instead) and which a user may tune
through global.oauth2Proxy.extraEnv; every other setting is refused (templates/validate/_proxy.tpl).
*/}}

{{/*
Every oauth2-proxy setting the chart derives or depends on, as a YAML map from the environment
variable to the value to change instead ("" when the chart fixes it). backstage-keycloak.oauth2Proxy.env
sets most of them (some only in some configurations); the others would bypass what the chart
sets (a config file, credentials from files) or break Backstage (Authorization replaced, bearer
tokens accepted, X-Forwarded-Email dropped). Validation refuses all of them in
global.oauth2Proxy.extraEnv and in the sidecar's env, so no override can break the pod.
Usage:  {{ $owned := include "backstage-keycloak.oauth2Proxy.ownedSettings" . | fromYaml }}
Params: . any context (constant).
*/}}
{{- define "backstage-keycloak.oauth2Proxy.ownedSettings" -}}
OAUTH2_PROXY_HTTP_ADDRESS: ""
OAUTH2_PROXY_METRICS_ADDRESS: ""
OAUTH2_PROXY_PROVIDER: ""
OAUTH2_PROXY_PROVIDER_DISPLAY_NAME: ""
OAUTH2_PROXY_OIDC_ISSUER_URL: global.keycloak.issuerUrl
OAUTH2_PROXY_REDIRECT_URL: global.host (and global.allowInsecureHttp)
OAUTH2_PROXY_UPSTREAMS: ""
OAUTH2_PROXY_REVERSE_PROXY: ""
OAUTH2_PROXY_SKIP_PROVIDER_BUTTON: ""
OAUTH2_PROXY_CODE_CHALLENGE_METHOD: ""
OAUTH2_PROXY_SKIP_AUTH_ROUTES: ""
OAUTH2_PROXY_SKIP_AUTH_REGEX: ""
OAUTH2_PROXY_API_ROUTES: ""
OAUTH2_PROXY_EMAIL_DOMAINS: global.oauth2Proxy.emailDomains
OAUTH2_PROXY_COOKIE_NAME: global.oauth2Proxy.cookie.name
OAUTH2_PROXY_COOKIE_SECURE: global.oauth2Proxy.cookie.secure
OAUTH2_PROXY_COOKIE_HTTPONLY: ""
OAUTH2_PROXY_COOKIE_SAMESITE: global.oauth2Proxy.cookie.sameSite
OAUTH2_PROXY_COOKIE_REFRESH: global.oauth2Proxy.cookie.refresh
OAUTH2_PROXY_COOKIE_EXPIRE: global.oauth2Proxy.cookie.expire
OAUTH2_PROXY_COOKIE_DOMAINS: global.oauth2Proxy.cookie.domains
OAUTH2_PROXY_PASS_USER_HEADERS: ""
OAUTH2_PROXY_PASS_ACCESS_TOKEN: ""
OAUTH2_PROXY_PASS_AUTHORIZATION_HEADER: ""
OAUTH2_PROXY_SET_AUTHORIZATION_HEADER: ""
OAUTH2_PROXY_SKIP_JWT_BEARER_TOKENS: ""
OAUTH2_PROXY_SILENCE_PING_LOGGING: ""
OAUTH2_PROXY_ALLOWED_GROUPS: global.keycloak.allowedGroups
OAUTH2_PROXY_ALLOWED_ROLES: global.keycloak.allowedRoles
OAUTH2_PROXY_TRUSTED_PROXY_IPS: global.oauth2Proxy.trustedProxyIPs
OAUTH2_PROXY_SKIP_OIDC_DISCOVERY: global.keycloak.internalUrl
OAUTH2_PROXY_LOGIN_URL: global.keycloak.issuerUrl
OAUTH2_PROXY_REDEEM_URL: global.keycloak.internalUrl
OAUTH2_PROXY_OIDC_JWKS_URL: global.keycloak.internalUrl
OAUTH2_PROXY_PROFILE_URL: global.keycloak.internalUrl
OAUTH2_PROXY_VALIDATE_URL: global.keycloak.internalUrl
OAUTH2_PROXY_CLIENT_ID: global.keycloak.clientId or global.keycloak.existingSecret
OAUTH2_PROXY_CLIENT_SECRET: global.keycloak.clientSecret or global.keycloak.existingSecret
OAUTH2_PROXY_CLIENT_SECRET_FILE: global.keycloak.clientSecret or global.keycloak.existingSecret
OAUTH2_PROXY_COOKIE_SECRET: global.oauth2Proxy.cookieSecret or global.oauth2Proxy.existingSecret
OAUTH2_PROXY_COOKIE_SECRET_FILE: global.oauth2Proxy.cookieSecret or global.oauth2Proxy.existingSecret
OAUTH2_PROXY_CONFIG: ""
OAUTH2_PROXY_ALPHA_CONFIG: global.signIn.mode
OAUTH2_PROXY_BASIC_AUTH_PASSWORD: ""
OAUTH2_PROXY_PREFER_EMAIL_TO_USER: ""
OAUTH2_PROXY_BACKEND_LOGOUT_URL: global.keycloak.issuerUrl (or internalUrl)
OAUTH2_PROXY_SESSION_STORE_TYPE: global.oauth2Proxy.sessionStore.type
OAUTH2_PROXY_REDIS_CONNECTION_URL: global.oauth2Proxy.sessionStore.redis.url
OAUTH2_PROXY_REDIS_PASSWORD: global.oauth2Proxy.sessionStore.redis.password or existingSecret
OAUTH2_PROXY_REQUEST_LOGGING: global.oauth2Proxy.logging.requests
{{- end -}}

{{/*
The oauth2-proxy settings a user may add (global.oauth2Proxy.extraEnv, the sidecar's env): an
ALLOW-list of tuning that cannot weaken sign-in, identity, routing or TLS (logging, timeouts,
banner/footer, CSRF cookie lifetime, the Redis idle timeout), as a YAML map from the environment
variable to what it tunes. Every other OAUTH2_PROXY_* variable is refused (check.proxySetting):
oauth2-proxy has well over a hundred options and many switch a protection off. test/unit/
proxy-settings-allowlist.test.ts lists every flag of the real, pinned binary (`--help`) and checks
that each one not named here is refused with a reason, and that each name here is a real flag.
Usage:  {{ $tunable := include "backstage-keycloak.oauth2Proxy.tunableSettings" . | fromYaml }}
Params: . any context (constant).
*/}}
{{- define "backstage-keycloak.oauth2Proxy.tunableSettings" -}}
OAUTH2_PROXY_AUTH_LOGGING: logging (sign-in and sign-out lines)
OAUTH2_PROXY_AUTH_LOGGING_FORMAT: logging
OAUTH2_PROXY_STANDARD_LOGGING: logging
OAUTH2_PROXY_STANDARD_LOGGING_FORMAT: logging
OAUTH2_PROXY_REQUEST_LOGGING_FORMAT: logging
OAUTH2_PROXY_EXCLUDE_LOGGING_PATHS: logging
OAUTH2_PROXY_ERRORS_TO_INFO_LOG: logging
OAUTH2_PROXY_LOGGING_LOCAL_TIME: logging
OAUTH2_PROXY_REQUEST_ID_HEADER: logging (the header whose value is logged as the request id)
OAUTH2_PROXY_UPSTREAM_TIMEOUT: timeout of a proxied request
OAUTH2_PROXY_FLUSH_INTERVAL: response streaming
OAUTH2_PROXY_BANNER: page text
OAUTH2_PROXY_FOOTER: page text
OAUTH2_PROXY_FORCE_JSON_ERRORS: error page format
OAUTH2_PROXY_COOKIE_CSRF_EXPIRE: lifetime of the login's CSRF cookie
OAUTH2_PROXY_COOKIE_CSRF_PER_REQUEST: one CSRF cookie per login attempt (stricter)
OAUTH2_PROXY_COOKIE_CSRF_PER_REQUEST_LIMIT: number of those CSRF cookies
OAUTH2_PROXY_SESSION_COOKIE_MINIMAL: session size (checked against cookie refresh and the mode)
OAUTH2_PROXY_REDIS_CONNECTION_IDLE_TIMEOUT: Redis connection reuse
{{- end -}}
