/**
 * The sign-in modes (global.signIn.mode) and the values each needs besides the mode itself. The
 * chart renders every mode as a pure function of values (templates/_pod.tpl); the native modes
 * change two upstream values with the mode, kept in values/modes/native.yaml, which the chart
 * names when they are missing. Everything that renders or installs for a mode applies it here.
 */
import path from 'node:path';
import { repoRoot } from '../paths.ts';

export const SIGN_IN_MODES = ['oauth2Proxy', 'verifiedToken', 'oidc', 'oauth2'] as const;
export type SignInMode = (typeof SIGN_IN_MODES)[number];

/** The values overlay of the native modes (no sidecar, the Service on Backstage's port). */
export const NATIVE_MODE_VALUES = path.join(repoRoot, 'values', 'modes', 'native.yaml');

export function isSignInMode(v: unknown): v is SignInMode {
  return typeof v === 'string' && (SIGN_IN_MODES as readonly string[]).includes(v);
}

export function isNativeMode(mode: SignInMode): boolean {
  return mode === 'oidc' || mode === 'oauth2';
}

/** Values files a mode adds after the user's (in order), and the --set that selects it. */
export function modeValues(mode: SignInMode): { valuesFiles: string[]; set: string[] } {
  return { valuesFiles: isNativeMode(mode) ? [NATIVE_MODE_VALUES] : [], set: [`global.signIn.mode=${mode}`] };
}

/** global.signIn.mode of inline values, if they set it. */
export function modeOfValues(values: Record<string, unknown> | undefined): SignInMode | undefined {
  const mode = (values?.global as { signIn?: { mode?: unknown } } | undefined)?.signIn?.mode;
  return isSignInMode(mode) ? mode : undefined;
}
