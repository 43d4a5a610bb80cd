// Failures of the server's calls (the API, Cognito's identity pool, the token endpoint) turned
// into a status and one sentence for the page. The cause goes to the server log as a name, never
// with a token, a key or a raw upstream message.
import 'server-only';
import { type Failure, MESSAGES } from './messages';

export class CallError extends Error {
  constructor(readonly status: number, readonly failure: Failure, readonly cause?: string) {
    super(failure.error);
    this.name = 'CallError';
  }
}

const expired = (cause: string) => new CallError(401, { error: MESSAGES.expired, signOut: true }, cause);

/** An answer of the API: its own `{"status":"error","error":{"code"}}` or API Gateway's `{"message"}`. */
export function fromApi(status: number, body: unknown): CallError {
  const code = (body as { error?: { code?: string } } | null)?.error?.code;
  const gateway = String((body as { message?: string } | null)?.message ?? '');
  switch (code) {
    case 'expired_token':
    case 'invalid_token':
    case 'missing_token':
    case 'not_authorized':
    case 'unknown_user':
    case 'identity_mismatch':
      return expired(`api:${code}`);
    case 'user_disabled':
      return new CallError(403, { error: MESSAGES.disabled, signOut: true }, `api:${code}`);
    case 'file_not_found':
      return new CallError(404, { error: MESSAGES.notFound }, `api:${code}`);
    case 'payload_too_large':
      return new CallError(413, { error: MESSAGES.tooLarge }, `api:${code}`);
    case 'invalid_file_name':
      return new CallError(400, { error: MESSAGES.badName }, `api:${code}`);
    case 'access_denied':
      return new CallError(403, { error: MESSAGES.denied }, `api:${code}`);
    case 'throttled':
    case 'upstream_unavailable':
    case 'upstream_timeout':
      return new CallError(503, { error: MESSAGES.busy }, `api:${code}`);
  }
  if (status === 403 && /expired/i.test(gateway)) return expired('gateway:expired');
  if (status === 429) return new CallError(503, { error: MESSAGES.busy }, 'gateway:throttled');
  if (status === 403) return new CallError(403, { error: MESSAGES.denied }, 'gateway:denied');
  return new CallError(502, { error: MESSAGES.unknown }, `api:status-${status}`);
}

/** A Cognito identity-pool error (GetId, GetCredentialsForIdentity), by its name. */
export function fromIdentityPool(error: unknown): CallError {
  const name = (error as { name?: string } | null)?.name ?? 'Error';
  if (name === 'NotAuthorizedException') return expired(`cognito-identity:${name}`);
  if (name === 'TooManyRequestsException' || name === 'LimitExceededException') return new CallError(503, { error: MESSAGES.busy }, `cognito-identity:${name}`);
  if (isNetwork(error)) return new CallError(503, { error: MESSAGES.network }, 'cognito-identity:network');
  return new CallError(502, { error: MESSAGES.unknown }, `cognito-identity:${name}`);
}

export function isNetwork(error: unknown): boolean {
  const e = error as { name?: string; code?: string; cause?: { code?: string } } | null;
  return e?.name === 'TypeError' || e?.name === 'TimeoutError' || /^E(CONN|HOST|NOTFOUND|AI_)/.test(e?.code ?? e?.cause?.code ?? '');
}

/** Whatever was thrown, as a CallError; logs its cause (a name, never a secret). */
export function toCallError(error: unknown, where: string): CallError {
  const failure = error instanceof CallError ? error : isNetwork(error)
    ? new CallError(503, { error: MESSAGES.network }, 'network')
    : new CallError(500, { error: MESSAGES.unknown }, (error as { name?: string } | null)?.name ?? 'Error');
  console.warn(`${where}: ${failure.status} ${failure.cause ?? ''}`);
  return failure;
}
