// Auth.js (NextAuth v4): sign-in through Cognito's managed login (authorization code + PKCE +
// state + nonce, the ID token checked by openid-client), the tokens kept in the session cookie
// (a JWE encrypted with NEXTAUTH_SECRET, httpOnly), refreshed before they expire, revoked at
// sign-out. The browser only ever learns the username.
import 'server-only';
import type { AuthOptions, Session } from 'next-auth';
import type { JWT } from 'next-auth/jwt';
import CognitoProvider from 'next-auth/providers/cognito';
import { config } from './config';
import { forgetKeys } from './keys';
import { refresh, RefreshRefused, revoke } from './oidc';

/** What the session cookie holds (encrypted). `error` is set once the tokens are unusable. */
export interface SessionTokens extends JWT {
  sub: string;
  name: string;
  idToken?: string;
  refreshToken?: string;
  /** The ID token's `exp`, epoch seconds. */
  expiresAt?: number;
  error?: 'SessionEnded' | 'RefreshUnavailable';
}

/** What the browser may see (GET /api/auth/session): the username, and whether the session ended. */
export interface PublicSession extends Session {
  error?: SessionTokens['error'];
}

const claimsOf = (jwt: string): Record<string, unknown> => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

/**
 * `refresh: false` for pages (a server component cannot write the refreshed cookie back, so it
 * must not spend a refresh); `capture` receives the session's tokens, for route handlers.
 */
export function authOptions(mode: { refresh?: boolean; capture?: (tokens: SessionTokens) => void } = { refresh: true }): AuthOptions {
  const c = config();
  return {
    secret: process.env.NEXTAUTH_SECRET,
    session: { strategy: 'jwt', maxAge: 30 * 24 * 3600 }, // the refresh token's validity
    providers: [
      CognitoProvider({
        clientId: c.clientId,
        clientSecret: c.clientSecret,
        issuer: c.issuer,
        // Local stack only: the discovery document's address (everything else comes from it).
        ...(c.discoveryUrl ? { wellKnown: c.discoveryUrl } : {}),
        checks: ['pkce', 'state', 'nonce'],
        authorization: { params: { scope: 'openid email profile' } },
        client: { token_endpoint_auth_method: 'client_secret_basic' },
      }),
    ],
    pages: { signIn: '/', error: '/' },
    callbacks: {
      async jwt({ token, account }) {
        if (account?.id_token) {
          // First sign-in: openid-client has verified this ID token (signature, iss, aud, nonce).
          const claims = claimsOf(account.id_token);
          return {
            sub: String(claims.sub),
            name: String(claims['cognito:username']),
            idToken: account.id_token,
            refreshToken: account.refresh_token,
            expiresAt: Number(claims.exp),
          } satisfies SessionTokens;
        }
        const tokens = token as SessionTokens;
        if (mode.refresh === false || tokens.error === 'SessionEnded' || !tokens.idToken) return tokens;
        if (Date.now() / 1000 < (tokens.expiresAt ?? 0) - c.tokenMarginSeconds) return tokens;
        return refreshed(tokens);
      },
      session({ session, token }) {
        const tokens = token as SessionTokens;
        mode.capture?.(tokens);
        return { user: { name: tokens.name }, expires: session.expires, ...(tokens.error ? { error: tokens.error } : {}) } as PublicSession;
      },
    },
    events: {
      async signOut({ token }) {
        const tokens = token as SessionTokens | null;
        if (tokens?.sub) forgetKeys(tokens.sub);
        if (tokens?.refreshToken) {
          // End the session at Cognito too: the refresh token (and its access tokens) stop working.
          await revoke(tokens.refreshToken).catch((error: unknown) => console.warn(`sign-out: revoke failed: ${(error as Error).name}`));
        }
      },
    },
    logger: {
      // Auth.js's default logger prints request details and provider answers; only names here.
      error: (code, metadata) => console.error(`auth: ${code}${metadata instanceof Error ? `: ${metadata.name}` : ''}`),
      warn: (code) => console.warn(`auth: ${code}`),
      debug: () => {},
    },
  };
}

async function refreshed(tokens: SessionTokens): Promise<SessionTokens> {
  try {
    const fresh = await refresh(tokens.refreshToken!, tokens.sub);
    return {
      ...tokens,
      idToken: fresh.id_token,
      refreshToken: fresh.refresh_token ?? tokens.refreshToken, // kept unless Cognito rotates it
      expiresAt: Number(fresh.claims().exp),
      error: undefined,
    };
  } catch (error) {
    if (error instanceof RefreshRefused) {
      console.warn(`refresh refused: ${error.code}`);
      forgetKeys(tokens.sub);
      return { sub: tokens.sub, name: tokens.name, error: 'SessionEnded' };
    }
    // Cognito unreachable: keep the session, try again at the next request.
    console.warn(`refresh failed: ${(error as Error).name}`);
    return { ...tokens, error: 'RefreshUnavailable' };
  }
}
