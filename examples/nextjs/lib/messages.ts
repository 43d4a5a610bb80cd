// Every failure a user can meet, as one sentence (the same sentences as examples/web). Raw error
// texts never reach the page: route handlers answer `{ error: <one of these> }`.
export const MESSAGES = {
  wrongPassword: 'Wrong username or password.',
  disabled: 'This account is disabled. Please contact your administrator.',
  expired: 'Your session has expired. Please sign in again.',
  signInFailed: 'Signing in did not complete. Please sign in again.',
  signedOut: 'Please sign in.',
  network: 'Cannot reach the service. Check your network connection and try again.',
  busy: 'The service is busy right now. Please try again in a moment.',
  notFound: 'That file does not exist (any more).',
  tooLarge: 'That file is too large.',
  badName: 'That file name is not allowed (no empty, "." or ".." folder, no control characters or "\\").',
  denied: 'You are not allowed to do that.',
  unknown: 'Something went wrong. Please try again.',
} as const;

/** What a route handler answers when a call fails: the sentence, and whether the session is over. */
export interface Failure {
  readonly error: string;
  readonly signOut?: boolean;
}
