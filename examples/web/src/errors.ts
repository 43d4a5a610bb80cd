// Every failure the page can meet, turned into one sentence a person understands. Raw error
// texts (which may quote a request) are never shown; the page shows `UserError.message` only.

/** An error whose message is fit for the user's eyes. `signOut`: the session is unusable. */
export class UserError extends Error {
  constructor(message: string, readonly signOut = false) {
    super(message);
    this.name = 'UserError';
  }
}

export const MESSAGES = {
  wrongPassword: 'Wrong username or password.',
  disabled: 'This account is disabled. Please contact your administrator.',
  expired: 'Your session has expired. Please sign in again.',
  network: 'Cannot reach the service. Check your network connection and try again.',
  busy: 'The service is busy right now. Please try again in a moment.',
  notFound: 'That file does not exist (any more).',
  tooLarge: 'That file is too large.',
  badName: 'That file name is not allowed (no empty, "." or ".." folder, no control characters or "\\").',
  denied: 'You are not allowed to do that.',
  exists: 'A file with that name already exists.',
  uploadGone: 'That upload no longer exists (it was finished or cancelled).',
  badParts: 'The upload is incomplete: some parts did not arrive. Resume it to send them again.',
  otherFile: 'That is not the file of this upload (its size differs). Choose the same file again.',
  notDeleted: 'Some files in that folder could not be deleted.',
  unknownRecipient: 'No user of that name has signed in here.',
  shareInvalid: 'Share with another user\'s username (not your own; no spaces).',
  shareGone: 'That file is no longer shared with you.',
  notYourShare: 'That share is not yours to revoke.',
  sharingUnavailable: 'Sharing is not available on this service.',
  needsReset: 'This account needs a new password before it can sign in.',
  signedOutLocally: 'You are signed out on this page, but your session could not be ended at the sign-in service (it ends by itself when it expires).',
  unknown: 'Something went wrong. Please try again.',
} as const;

/** Cognito (SDK) errors during sign-in and key refresh. */
export function fromCognito(error: unknown): UserError {
  if (error instanceof UserError) return error;
  const name = (error as { name?: string } | null)?.name ?? '';
  const message = String((error as { message?: string } | null)?.message ?? '');
  if (isNetwork(error)) return new UserError(MESSAGES.network);
  if (name === 'NotAuthorizedException' && /disabled/i.test(message)) return new UserError(MESSAGES.disabled, true);
  if (name === 'NotAuthorizedException' && /expired|revoked/i.test(message)) return new UserError(MESSAGES.expired, true);
  if (name === 'NotAuthorizedException' || name === 'UserNotFoundException') return new UserError(MESSAGES.wrongPassword, true);
  if (name === 'PasswordResetRequiredException') return new UserError(MESSAGES.needsReset, true);
  if (name === 'TooManyRequestsException' || name === 'LimitExceededException') return new UserError(MESSAGES.busy);
  return new UserError(MESSAGES.unknown);
}

/** An API answer that is not a success: the API's own `{"status":"error","error":{"code"}}` body,
 *  or API Gateway's `{"message"}` (signature and authorization refusals). `route`: sentences a
 *  route gives some codes instead (what `invalid_parameter` means depends on the call). */
export function fromApi(status: number, body: unknown, route: Readonly<Record<string, string>> = {}): UserError {
  const code = (body as { error?: { code?: string } } | null)?.error?.code;
  const gateway = String((body as { message?: string } | null)?.message ?? '');
  if (code && Object.hasOwn(route, code)) return new UserError(route[code]);
  switch (code) {
    case 'expired_token':
    case 'invalid_token':
    case 'missing_token':
    case 'not_authorized':
    case 'unknown_user':
    case 'identity_mismatch':
      return new UserError(MESSAGES.expired, true);
    case 'user_disabled':
      return new UserError(MESSAGES.disabled, true);
    case 'file_not_found':
      return new UserError(MESSAGES.notFound);
    case 'file_exists':
      return new UserError(MESSAGES.exists);
    case 'upload_not_found':
      return new UserError(MESSAGES.uploadGone);
    case 'unknown_recipient':
      return new UserError(MESSAGES.unknownRecipient);
    case 'share_not_found':
      return new UserError(MESSAGES.shareGone);
    case 'sharing_unavailable':
      return new UserError(MESSAGES.sharingUnavailable);
    case 'invalid_parts':
      return new UserError(MESSAGES.badParts);
    case 'payload_too_large':
      return new UserError(MESSAGES.tooLarge);
    case 'invalid_file_name':
      return new UserError(MESSAGES.badName);
    case 'access_denied':
      return new UserError(MESSAGES.denied);
    case 'throttled':
    case 'upstream_unavailable':
    case 'upstream_timeout':
      return new UserError(MESSAGES.busy);
  }
  if (status === 403 && /expired/i.test(gateway)) return new UserError(MESSAGES.expired, true);
  if (status === 429) return new UserError(MESSAGES.busy);
  if (status === 403) return new UserError(MESSAGES.denied);
  return new UserError(MESSAGES.unknown);
}

/** fetch() rejects with a TypeError when the network (or a CORS check) fails. */
export function isNetwork(error: unknown): boolean {
  return error instanceof TypeError || (error as { name?: string } | null)?.name === 'TimeoutError';
}

/** Whatever was thrown, as words for the page. */
export function describe(error: unknown): UserError {
  if (error instanceof UserError) return error;
  if (isNetwork(error)) return new UserError(MESSAGES.network);
  return new UserError(MESSAGES.unknown);
}
