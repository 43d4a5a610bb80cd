// The server's settings, from the environment (.env.local, written by scripts/env.mjs). Read at
// run time, so one build serves the local stack and a deployed one. Server-only: nothing here
// reaches the browser (no NEXT_PUBLIC_ variable).
import 'server-only';

export interface Config {
  readonly region: string;
  readonly userPoolId: string;
  /** The user pool's issuer, in Cognito's form (also the Logins key's provider). */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The managed-login domain (`https://<prefix>.auth.<region>.amazoncognito.com`). */
  readonly domain: string;
  readonly identityPoolId: string;
  /** The API stage URL (`https://<api>.execute-api.<region>.amazonaws.com/v1`). */
  readonly apiUrl: string;
  /** This app's own origin (NEXTAUTH_URL). */
  readonly origin: string;
  /** Local stack only: where the discovery document is (Cognito serves it at `${issuer}/.well-known/...`). */
  readonly discoveryUrl?: string;
  /** Local stack only: the Cognito identity endpoint. */
  readonly identityEndpoint?: string;
  /** Renew the ID token this many seconds before it expires. */
  readonly tokenMarginSeconds: number;
  /** Renew the identity's AWS keys this many seconds before they expire. */
  readonly keysMarginSeconds: number;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: write .env.local with scripts/env.mjs (README.md)`);
  return value;
}

function seconds(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number of seconds, not '${raw}'`);
  return value;
}

let cached: Config | undefined;

export function config(): Config {
  if (cached) return cached;
  const region = required('COGNITO_REGION');
  const userPoolId = required('COGNITO_USER_POOL_ID');
  cached = {
    region,
    userPoolId,
    issuer: `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`,
    clientId: required('COGNITO_CLIENT_ID'),
    clientSecret: required('COGNITO_CLIENT_SECRET'),
    domain: required('COGNITO_DOMAIN').replace(/\/$/, ''),
    identityPoolId: required('IDENTITY_POOL_ID'),
    apiUrl: required('API_URL').replace(/\/$/, ''),
    origin: new URL(required('NEXTAUTH_URL')).origin,
    discoveryUrl: process.env.OIDC_DISCOVERY_URL || undefined,
    identityEndpoint: process.env.COGNITO_IDENTITY_ENDPOINT || undefined,
    tokenMarginSeconds: seconds('TOKEN_REFRESH_MARGIN_SECONDS', 300),
    keysMarginSeconds: seconds('KEYS_REFRESH_MARGIN_SECONDS', 300),
  };
  return cached;
}

/** Cognito's /logout for this app: ends the managed-login session, then back to our home page. */
export function logoutUrl(): string {
  const { domain, clientId, origin } = config();
  return `${domain}/logout?${new URLSearchParams({ client_id: clientId, logout_uri: `${origin}/` })}`;
}
