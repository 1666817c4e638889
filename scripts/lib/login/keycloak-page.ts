/**
 * Reading Keycloak's login page: the login form's action and the error it shows. Shared by the
 * scripted logins (scripts/lib/login/proxy.ts) and the SSO test harness (test/support/oidc.ts).
 */
export function decodeEntities(s: string): string {
  return s
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}

/** The action URL of Keycloak's login form (`<form id="kc-form-login" action=...>`). */
export function loginFormAction(html: string): string | undefined {
  const form = /<form\b[^>]*\bid="kc-form-login"[^>]*>/i.exec(html)?.[0];
  const action = form && /\baction="([^"]*)"/i.exec(form)?.[1];
  return action ? decodeEntities(action) : undefined;
}

/** Keycloak's error text on a login page (e.g. "Invalid username or password."), if any. */
export function loginPageError(html: string): string | undefined {
  const m = /id="input-error[^"]*"[^>]*>([\s\S]*?)<\/span>/i.exec(html) ?? /class="[^"]*(?:kc-feedback-text|pf-m-danger|alert-error)[^"]*"[^>]*>([\s\S]*?)<\//i.exec(html);
  return m ? decodeEntities(m[1]!.replace(/<[^>]+>/g, '').trim()) : undefined;
}
