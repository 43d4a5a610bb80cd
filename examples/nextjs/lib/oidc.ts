// Refresh and revocation at Cognito's token endpoints, with openid-client (the OIDC client that
// Auth.js itself signs in with): the refreshed ID token is validated like the first one
// (signature against the pool's JWKS, issuer, audience, expiry).
import 'server-only';
import { errors, Issuer, type BaseClient, type TokenSet } from 'openid-client';
import { config } from './config';

let client: Promise<BaseClient> | undefined;

function oidcClient(): Promise<BaseClient> {
  client ??= (async () => {
    const c = config();
    const discovered = await Issuer.discover(c.discoveryUrl ?? `${c.issuer}/.well-known/openid-configuration`);
    // Cognito serves /oauth2/revoke on its domain but does not list it in its discovery document.
    const issuer = new Issuer({ ...discovered.metadata, revocation_endpoint: `${c.domain}/oauth2/revoke` });
    return new issuer.Client({ client_id: c.clientId, client_secret: c.clientSecret, token_endpoint_auth_method: 'client_secret_basic' });
  })().catch((error: unknown) => {
    client = undefined; // try discovery again next time
    throw error;
  });
  return client;
}

/** The token endpoint refused the refresh token: revoked, signed out everywhere, user disabled or gone. */
export class RefreshRefused extends Error {
  constructor(readonly code: string) {
    super(`refresh refused: ${code}`);
    this.name = 'RefreshRefused';
  }
}

const inFlight = new Map<string, Promise<TokenSet>>();

/** New ID (and access) tokens for `refreshToken`, for the user `sub`. Concurrent requests of one
 *  session share one refresh: with refresh-token rotation on, two would invalidate each other. */
export function refresh(refreshToken: string, sub: string): Promise<TokenSet> {
  let pending = inFlight.get(refreshToken);
  if (!pending) {
    pending = (async () => {
      try {
        const tokens = await (await oidcClient()).refresh(refreshToken);
        if (!tokens.id_token || tokens.claims().sub !== sub) throw new RefreshRefused('wrong_subject');
        return tokens;
      } catch (error) {
        if (error instanceof errors.OPError && error.error) throw new RefreshRefused(error.error);
        throw error;
      }
    })().finally(() => setTimeout(() => inFlight.delete(refreshToken), 1000));
    inFlight.set(refreshToken, pending);
  }
  return pending;
}

/** Revoke the refresh token (and the access tokens issued from it) at Cognito. */
export async function revoke(refreshToken: string): Promise<void> {
  await (await oidcClient()).revoke(refreshToken, 'refresh_token');
}
