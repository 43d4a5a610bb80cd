// The three steps of the frontend flow, and keeping their results fresh:
//   1. sign in with the user pool (InitiateAuth USER_SRP_AUTH, RespondToAuthChallenge with the
//      SRP proof, as Amplify does: the password never leaves the browser) -> ID token (+ refresh token)
//   2. exchange the ID token at the identity pool (GetId, GetCredentialsForIdentity)
//                                                                   -> the user's own temporary AWS keys
//   3. sign each API call with those keys (SigV4, api.ts) and send the ID token in `idToken`.
// Everything lives in this object's fields only: nothing is written to localStorage, cookies or
// the console. Keys and tokens are renewed `refreshMarginSeconds` before they expire. Sign-out
// forgets them all and revokes the refresh token at the user pool (RevokeToken).
import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  RevokeTokenCommand,
  type AuthenticationResultType,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  CognitoIdentityClient,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
} from '@aws-sdk/client-cognito-identity';
import type { Config } from './config';
import { fromCognito, UserError, MESSAGES } from './errors';
import { SrpSession, type PasswordVerifier } from './srp';

/** The user's temporary AWS keys from the identity pool. */
export interface Keys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** What a signed API call needs. */
export interface Credentials {
  readonly idToken: string;
  readonly keys: Keys;
}

/** How long sign-out waits for RevokeToken before it reports that the revocation failed. */
const REVOKE_TIMEOUT_MS = 10_000;

export class Session {
  private idToken: string;
  private idTokenExpiresAt: number;
  private keys: Keys | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private renewing: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly config: Config,
    private readonly idp: CognitoIdentityProviderClient,
    private readonly identity: CognitoIdentityClient,
    tokens: AuthenticationResultType,
    private refreshToken: string,
    readonly username: string,
    private identityId = '',
  ) {
    this.idToken = tokens.IdToken!;
    this.idTokenExpiresAt = Date.now() + (tokens.ExpiresIn ?? 3600) * 1000;
  }

  /** Step 1 and 2: sign in, then get the user's own keys. */
  static async signIn(config: Config, username: string, password: string): Promise<Session> {
    const clientConfig = { region: config.region, endpoint: config.cognitoEndpoint, maxAttempts: 2 };
    const idp = new CognitoIdentityProviderClient(clientConfig);
    const identity = new CognitoIdentityClient(clientConfig);
    let result: AuthenticationResultType | undefined;
    try {
      const srp = SrpSession.create();
      const challenge = await idp.send(new InitiateAuthCommand({
        ClientId: config.userPoolClientId,
        AuthFlow: 'USER_SRP_AUTH',
        AuthParameters: { USERNAME: username, SRP_A: srp.srpA },
      }));
      if (challenge.ChallengeName !== 'PASSWORD_VERIFIER' || !challenge.ChallengeParameters) throw new UserError(MESSAGES.unknown);
      const verifier = challenge.ChallengeParameters as unknown as PasswordVerifier;
      const answer = await idp.send(new RespondToAuthChallengeCommand({
        ClientId: config.userPoolClientId,
        ChallengeName: 'PASSWORD_VERIFIER',
        Session: challenge.Session,
        ChallengeResponses: {
          USERNAME: verifier.USER_ID_FOR_SRP,
          ...(await srp.passwordClaim(config.userPoolId, password, verifier)),
        },
      }));
      if (answer.ChallengeName === 'NEW_PASSWORD_REQUIRED') throw new UserError(MESSAGES.needsReset);
      if (answer.ChallengeName) throw new UserError(`This page does not support the ${answer.ChallengeName} sign-in step.`);
      result = answer.AuthenticationResult;
    } catch (error) {
      throw fromCognito(error);
    }
    if (!result?.IdToken || !result.RefreshToken) throw new UserError(MESSAGES.unknown);
    const session = new Session(config, idp, identity, result, result.RefreshToken, username);
    await session.renew(false);
    return session;
  }

  /** Fresh credentials for one call: renewed first when they are about to expire. */
  async credentials(): Promise<Credentials> {
    if (this.closed) throw new UserError(MESSAGES.expired, true);
    if (!this.keys || this.dueAt() <= Date.now()) await this.renew(this.idTokenDue());
    return { idToken: this.idToken, keys: this.keys! };
  }

  /** Sign out: forget everything at once (the object holds nothing usable afterwards), then revoke
   *  the refresh token it held, so that no copy of it can renew the session. Resolves to whether
   *  the user pool confirmed the revocation (false: network down, or refused). */
  async signOut(): Promise<boolean> {
    const token = this.refreshToken;
    this.close();
    if (!token) return true;
    try {
      await this.idp.send(new RevokeTokenCommand({ ClientId: this.config.userPoolClientId, Token: token }),
        { abortSignal: AbortSignal.timeout(REVOKE_TIMEOUT_MS) });
      return true;
    } catch {
      return false;
    }
  }

  private close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.keys = undefined;
    this.idToken = '';
    this.refreshToken = '';
  }

  /** When the keys or the ID token, whichever first, must be renewed (ms since the epoch). */
  private dueAt(): number {
    const margin = this.config.refreshMarginSeconds * 1000;
    const keysExpire = this.keys?.expiration.getTime() ?? 0;
    return Math.min(keysExpire, this.idTokenExpiresAt) - margin;
  }

  private idTokenDue(): boolean {
    return this.idTokenExpiresAt - this.config.refreshMarginSeconds * 1000 <= Date.now();
  }

  /** Step 2 (and step 1 again through the refresh token when the ID token is due). One at a time. */
  private renew(tokenToo: boolean): Promise<void> {
    this.renewing ??= this.doRenew(tokenToo).finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  private async doRenew(tokenToo: boolean): Promise<void> {
    try {
      if (tokenToo) {
        const answer = await this.idp.send(new InitiateAuthCommand({
          ClientId: this.config.userPoolClientId,
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          AuthParameters: { REFRESH_TOKEN: this.refreshToken },
        }));
        const result = answer.AuthenticationResult;
        if (!result?.IdToken) throw new UserError(MESSAGES.expired, true);
        this.idToken = result.IdToken;
        this.idTokenExpiresAt = Date.now() + (result.ExpiresIn ?? 3600) * 1000;
      }
      const logins = { [`cognito-idp.${this.config.region}.amazonaws.com/${this.config.userPoolId}`]: this.idToken };
      if (!this.identityId) {
        const id = await this.identity.send(new GetIdCommand({ IdentityPoolId: this.config.identityPoolId, Logins: logins }));
        this.identityId = id.IdentityId!;
      }
      const answer = await this.identity.send(new GetCredentialsForIdentityCommand({ IdentityId: this.identityId, Logins: logins }));
      const c = answer.Credentials;
      if (!c?.AccessKeyId || !c.SecretKey || !c.SessionToken || !c.Expiration) throw new UserError(MESSAGES.unknown);
      this.keys = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretKey, sessionToken: c.SessionToken, expiration: c.Expiration };
    } catch (error) {
      throw fromCognito(error);
    }
    if (this.closed) {
      this.keys = undefined;
      return;
    }
    this.schedule();
  }

  /** Renew in the background before expiry, so an idle page still has good keys. */
  private schedule(): void {
    clearTimeout(this.timer);
    const wait = Math.max(1000, this.dueAt() - Date.now());
    this.timer = setTimeout(() => {
      this.renew(this.idTokenDue()).catch(() => {
        // A failed background renewal is retried by the next call, which reports its error.
      });
    }, Math.min(wait, 2 ** 31 - 1));
  }
}
