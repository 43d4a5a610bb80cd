// Step 3 of the flow: every call to the file API is SigV4-signed (service execute-api) with the
// user's identity-pool keys and carries the user-pool ID token in the `idToken` header.
// The bytes of large files go straight to S3 through presigned URLs the API hands out.
import { AwsClient } from 'aws4fetch';
import type { Config } from './config';
import { fromApi, MESSAGES, UserError } from './errors';
import type { Session } from './session';

/** One of the user's files, as `GET /files` lists it. */
export interface FileInfo {
  readonly name: string;
  readonly size: number;
  readonly lastModified: string;
}

interface UploadUrl {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
}

/** The path of a file name: each folder segment percent-encoded, `/` kept. */
export function filePath(name: string): string {
  return `/files/${name.split('/').map(encodeURIComponent).join('/')}`;
}

export class FilesApi {
  constructor(private readonly config: Config, private readonly session: Session) {}

  /** GET /read-file: the first line of the user's data.txt. */
  async readFile(): Promise<string> {
    return (await this.call<string>('GET', '/read-file')) ?? '';
  }

  /** GET /files, every page. */
  async list(): Promise<FileInfo[]> {
    const files: FileInfo[] = [];
    let next: string | null = null;
    do {
      const query: string = next ? `?next=${encodeURIComponent(next)}` : '';
      const page: { files: FileInfo[]; next: string | null } = (await this.call('GET', `/files${query}`))!;
      files.push(...page.files);
      next = page.next;
    } while (next);
    return files;
  }

  /** Upload `file`: PUT /files/{name} when small, else a presigned PUT straight to S3. */
  async upload(name: string, file: Blob, onProgress: (fraction: number) => void): Promise<void> {
    const contentType = file.type || 'application/octet-stream';
    if (file.size <= this.config.smallUploadMaxBytes) {
      await this.call('PUT', filePath(name), { body: await file.arrayBuffer(), contentType });
      onProgress(1);
      return;
    }
    const target = (await this.call<UploadUrl>('POST', '/upload-urls', {
      body: JSON.stringify({ name, size: file.size, contentType }),
      contentType: 'application/json',
    }))!;
    await putWithProgress(target, file, onProgress);
  }

  /** The file's bytes, through the presigned GET URL that GET /files/{name} returns. */
  async download(name: string): Promise<Blob> {
    const { url } = (await this.call<{ url: string }>('GET', filePath(name)))!;
    const response = await fetch(url);
    if (!response.ok) throw s3Error(response.status);
    return response.blob();
  }

  /** DELETE /files/{name}. */
  async remove(name: string): Promise<void> {
    await this.call('DELETE', filePath(name));
  }

  private async call<T>(method: string, path: string, options: { body?: BodyInit; contentType?: string } = {}): Promise<T | undefined> {
    const { idToken, keys } = await this.session.credentials();
    const signer = new AwsClient({
      accessKeyId: keys.accessKeyId,
      secretAccessKey: keys.secretAccessKey,
      sessionToken: keys.sessionToken,
      service: 'execute-api',
      region: this.config.region,
      retries: 0, // a refused call is reported, not repeated (aws4fetch retries 5xx by default)
    });
    const headers: Record<string, string> = { idToken };
    if (options.contentType) headers['content-type'] = options.contentType;
    const response = await signer.fetch(`${this.config.apiUrl}${path}`, { method, headers, body: options.body });
    if (response.status === 204) return undefined;
    const body: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      const error = fromApi(response.status, body);
      if (error.signOut) this.onSessionEnd?.(error);
      throw error;
    }
    return (body as { data: T }).data;
  }

  /** Called when an answer means the session cannot go on (expired, disabled). */
  onSessionEnd?: (error: UserError) => void;
}

function s3Error(status: number): UserError {
  if (status === 403) return new UserError(MESSAGES.expired, true);
  if (status === 404) return new UserError(MESSAGES.notFound);
  if (status === 503) return new UserError(MESSAGES.busy);
  return new UserError(MESSAGES.unknown);
}

/** fetch() reports no upload progress; XMLHttpRequest does. */
function putWithProgress(target: UploadUrl, file: Blob, onProgress: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(target.method, target.url);
    for (const [name, value] of Object.entries(target.headers)) {
      // The browser sets these itself (and refuses them from scripts); they are signed with the
      // values the browser will send.
      if (!['content-length', 'host'].includes(name.toLowerCase())) xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? (onProgress(1), resolve()) : reject(s3Error(xhr.status)));
    xhr.onerror = () => reject(new UserError(MESSAGES.network));
    xhr.send(file);
  });
}
