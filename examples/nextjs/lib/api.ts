// Step 3 of the flow, on the server: each call to the file API SigV4-signed (service
// execute-api) with the user's identity-pool keys, plus the `idToken` header.
import 'server-only';
import { AwsClient } from 'aws4fetch';
import { config } from './config';
import { CallError, fromApi, isNetwork } from './errors';
import { forgetKeys, keysFor } from './keys';
import { MESSAGES } from './messages';
import type { SignedIn } from './session';

/** One of the user's files, as `GET /files` lists it. */
export interface FileInfo {
  readonly name: string;
  readonly size: number;
  readonly lastModified: string;
}

/** A presigned request for the browser to send straight to S3. */
export interface Presigned {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
}

/** The API's own limit for PUT /files/{name} (its MAX_UPLOAD_BYTES): larger files go straight to S3. */
export const SMALL_UPLOAD_MAX_BYTES = 4 * 1024 * 1024;

/** The API path of a file name: each folder segment percent-encoded, `/` kept. */
export const filePath = (name: string): string => `/files/${name.split('/').map(encodeURIComponent).join('/')}`;

/** Call the API as `user`; its `data`, or a CallError with a sentence for the page. */
export async function callApi<T>(user: SignedIn, method: string, path: string,
  options: { body?: ArrayBuffer | string; contentType?: string } = {}): Promise<T | undefined> {
  for (let attempt = 1; ; attempt += 1) {
    const keys = await keysFor(user.sub, user.idToken);
    const signer = new AwsClient({
      accessKeyId: keys.accessKeyId,
      secretAccessKey: keys.secretAccessKey,
      sessionToken: keys.sessionToken,
      service: 'execute-api',
      region: config().region,
      retries: 0, // a refused call is answered, not repeated (aws4fetch retries 5xx by default)
    });
    const headers: Record<string, string> = { idToken: user.idToken };
    if (options.contentType) headers['content-type'] = options.contentType;
    let response: Response;
    try {
      // Signed here, sent with the plain body: Next.js's own fetch() reads a Request's body stream
      // for its cache, and a signed body that arrives empty no longer matches its signature.
      const signed = await signer.sign(`${config().apiUrl}${path}`, { method, headers, body: options.body });
      response = await fetch(signed.url, { method, headers: signed.headers, body: options.body, cache: 'no-store' });
    } catch (error) {
      throw isNetwork(error) ? new CallError(503, { error: MESSAGES.network }, 'api:network') : error;
    }
    if (response.status === 204) return undefined;
    const body: unknown = await response.json().catch(() => null);
    if (response.ok) return (body as { data: T }).data;
    const failure = fromApi(response.status, body);
    // Keys the stack says are expired (revoked early, clock skew): new keys, one more try.
    if (attempt === 1 && failure.cause === 'gateway:expired') {
      forgetKeys(user.sub);
      continue;
    }
    throw failure;
  }
}

/** GET /files, every page. */
export async function listFiles(user: SignedIn): Promise<FileInfo[]> {
  const files: FileInfo[] = [];
  let next: string | null = null;
  do {
    const query: string = next ? `?next=${encodeURIComponent(next)}` : '';
    const page: { files: FileInfo[]; next: string | null } = (await callApi(user, 'GET', `/files${query}`))!;
    files.push(...page.files);
    next = page.next;
  } while (next);
  return files;
}
