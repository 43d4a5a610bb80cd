// The signed-in user's own AWS keys: GetId (once per user: an IdentityId never changes), then
// GetCredentialsForIdentity with the session's ID token. Kept on the server per user until
// `keysMarginSeconds` before they expire; never sent to the browser.
import 'server-only';
import {
  CognitoIdentityClient,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
} from '@aws-sdk/client-cognito-identity';
import { config } from './config';
import { CallError, fromIdentityPool } from './errors';

export interface Keys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** Epoch milliseconds. */
  readonly expiration: number;
}

interface Entry {
  identityId?: string;
  keys?: Keys;
  pending?: Promise<Keys>;
}

const MAX_USERS = 10_000; // a bound on memory: the oldest entries go first
const byUser = new Map<string, Entry>();
let identity: CognitoIdentityClient | undefined;

function client(): CognitoIdentityClient {
  const c = config();
  // GetId and GetCredentialsForIdentity are unsigned (the SDK's "noAuth" scheme): no AWS keys
  // of the server are looked up or used.
  identity ??= new CognitoIdentityClient({ region: c.region, endpoint: c.identityEndpoint, maxAttempts: 2 });
  return identity;
}

function entryOf(sub: string): Entry {
  let entry = byUser.get(sub);
  if (entry) {
    byUser.delete(sub); // re-insert: the Map's order is the least recently used first
  } else {
    entry = {};
    if (byUser.size >= MAX_USERS) byUser.delete(byUser.keys().next().value!);
  }
  byUser.set(sub, entry);
  return entry;
}

/** The user's keys (`sub` from the verified ID token), fetched with that token when due. */
export async function keysFor(sub: string, idToken: string): Promise<Keys> {
  const entry = entryOf(sub);
  const margin = config().keysMarginSeconds * 1000;
  if (entry.keys && entry.keys.expiration - margin > Date.now()) return entry.keys;
  entry.pending ??= fetchKeys(entry, idToken).finally(() => {
    entry.pending = undefined;
  });
  return entry.pending;
}

async function fetchKeys(entry: Entry, idToken: string): Promise<Keys> {
  const c = config();
  const logins = { [`cognito-idp.${c.region}.amazonaws.com/${c.userPoolId}`]: idToken };
  try {
    entry.identityId ??= (await client().send(new GetIdCommand({ IdentityPoolId: c.identityPoolId, Logins: logins }))).IdentityId;
    const out = await client().send(new GetCredentialsForIdentityCommand({ IdentityId: entry.identityId, Logins: logins }));
    const k = out.Credentials;
    if (!k?.AccessKeyId || !k.SecretKey || !k.SessionToken || !k.Expiration) throw new CallError(502, { error: 'incomplete credentials' }, 'cognito-identity:incomplete');
    entry.keys = { accessKeyId: k.AccessKeyId, secretAccessKey: k.SecretKey, sessionToken: k.SessionToken, expiration: k.Expiration.getTime() };
    return entry.keys;
  } catch (error) {
    throw error instanceof CallError ? error : fromIdentityPool(error);
  }
}

/** Drop the user's keys (sign-out, or keys the API called expired). The IdentityId stays. */
export function forgetKeys(sub: string): void {
  const entry = byUser.get(sub);
  if (entry) entry.keys = undefined;
}
