// What the page needs to know about the stack it talks to, fetched at start from /config.json.
// The same build runs against the local stack and a deployed stack: only this file differs
// (scripts/config.mjs writes it from .local/stack.env or from the CloudFormation outputs).

/** The stack the page talks to. */
export interface Config {
  readonly region: string;
  readonly userPoolId: string;
  readonly userPoolClientId: string;
  readonly identityPoolId: string;
  /** The API stage's base URL, e.g. https://abc.execute-api.eu-west-1.amazonaws.com/v1 */
  readonly apiUrl: string;
  /** Local stack only: one endpoint for cognito-idp and cognito-identity. Absent: AWS's own. */
  readonly cognitoEndpoint?: string;
  /** Files up to this size go through PUT /files/{name}; larger ones through a presigned URL. */
  readonly smallUploadMaxBytes: number;
  /** Files larger than this go through a resumable multipart upload (`POST /uploads`), which can
   *  be paused, resumed (also after a reload) and cancelled. */
  readonly multipartThresholdBytes: number;
  /** Parts of one multipart upload sent at once. */
  readonly uploadConcurrency: number;
  /** Keys and tokens are renewed this long before they expire. */
  readonly refreshMarginSeconds: number;
}

const REQUIRED = ['region', 'userPoolId', 'userPoolClientId', 'identityPoolId', 'apiUrl'] as const;

/** Fetch and check /config.json. */
export async function loadConfig(url = '/config.json'): Promise<Config> {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  const raw = (await response.json()) as Partial<Config>;
  for (const key of REQUIRED) {
    if (typeof raw[key] !== 'string' || raw[key] === '') throw new Error(`config.json: ${key} is missing`);
  }
  return {
    smallUploadMaxBytes: 4 * 1024 * 1024, // the API's MAX_UPLOAD_BYTES default
    multipartThresholdBytes: 64 * 1024 * 1024,
    uploadConcurrency: 4,
    refreshMarginSeconds: 300,
    ...raw,
    apiUrl: raw.apiUrl!.replace(/\/+$/, ''),
  } as Config;
}
