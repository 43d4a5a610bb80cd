// Step 3 of the flow: every call to the file API is SigV4-signed (service execute-api) with the
// user's identity-pool keys and carries the user-pool ID token in the `idToken` header.
// The bytes of large files go straight to S3 through presigned URLs the API hands out.
import { AwsClient } from 'aws4fetch';
import type { Config } from './config';
import { fromApi, MESSAGES, UserError } from './errors';
import type { Session } from './session';

/** One of the user's files, as `GET /files` lists it. `addressable: false` (with an `id`): a name
 *  stored directly with the keys that no path can carry; only `DELETE /files?id=` reaches it. */
export interface FileInfo {
  readonly name: string;
  readonly size: number;
  readonly lastModified: string;
  readonly addressable?: boolean;
  readonly id?: string;
}

/** A sub-folder, as `GET /files?delimiter=/` lists it (full name, no trailing `/`). */
export interface FolderInfo {
  readonly name: string;
  readonly addressable?: boolean;
}

/** One level of the user's files: the files directly in a folder and its sub-folders. */
export interface Level {
  readonly files: FileInfo[];
  readonly folders: FolderInfo[];
}

/** An unfinished resumable upload (`POST /uploads`, `GET /uploads`). */
export interface UploadInfo {
  readonly upload: string;
  readonly name: string;
  readonly size: number;
  readonly contentType?: string;
  readonly partSize: number;
  readonly partCount: number;
}

/** A part S3 has received (`GET /uploads/{upload}`). */
export interface ReceivedPart {
  readonly part: number;
  readonly size: number;
  readonly etag: string;
}

/** A presigned PUT URL for one part (`POST /uploads/{upload}/parts`). */
export interface PartUrl extends UploadUrl {
  readonly part: number;
  readonly expiresAt: string;
}

interface UploadUrl {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
}

/** A share of one of the caller's files (`GET /shares` `data.mine`, `POST /shares`). */
export interface MyShare {
  readonly id: string;
  readonly name: string;
  /** The recipient's username. */
  readonly with: string;
  readonly sharedAt: string;
}

/** A file another user shares with the caller (`GET /shares` `data.withMe`): a copy, as it was
 *  when shared. `from`: the owner's username, or null when the service does not know it. */
export interface SharedWithMe {
  readonly id: string;
  readonly name: string;
  readonly from: string | null;
  readonly size: number;
  readonly lastModified: string;
}

/** `GET /shares`: what the caller shares, and what is shared with them. */
export interface Shares {
  readonly mine: MyShare[];
  readonly withMe: SharedWithMe[];
  /** More are shared with the caller than the API lists (thousands). */
  readonly withMeTruncated?: boolean;
}

/** The path of a name under `base` (`/files`, `/folders`): each segment percent-encoded, `/` kept. */
export function filePath(name: string, base = '/files'): string {
  return `${base}/${name.split('/').map(encodeURIComponent).join('/')}`;
}

/** The last segment of a name: what a file is called in its folder, and when it is saved. */
export function baseName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

type CallOptions = { body?: BodyInit; contentType?: string; headers?: Record<string, string>; errors?: Record<string, string> };
const json = (value: unknown): CallOptions => ({ body: JSON.stringify(value), contentType: 'application/json' });

export class FilesApi {
  constructor(private readonly config: Config, private readonly session: Session) {}

  /** GET /read-file: the first line of the user's data.txt. */
  async readFile(): Promise<string> {
    return (await this.call<string>('GET', '/read-file')) ?? '';
  }

  /** GET /files?prefix=&delimiter=/, every page: the files directly in `folder` ('' = the top)
   *  and its sub-folders. */
  async listLevel(folder: string): Promise<Level> {
    const pages = await this.pages<Level>('/files', { delimiter: '/', limit: '1000', ...(folder ? { prefix: folder } : {}) });
    return { files: pages.flatMap((p) => p.files), folders: pages.flatMap((p) => p.folders ?? []) };
  }

  /** PUT /folders/{path}: an empty folder (a zero-byte `path/` marker). */
  async createFolder(path: string): Promise<void> {
    await this.call('PUT', filePath(path, '/folders'));
  }

  /** DELETE /folders/{path}, repeated until S3 has removed everything below it. Returns the names
   *  S3 refused to delete (none when the folder is gone). */
  async removeFolder(path: string): Promise<string[]> {
    for (;;) {
      const result = (await this.call<{ failed: { name: string }[]; done: boolean }>('DELETE', filePath(path, '/folders')))!;
      if (result.failed.length) return result.failed.map((f) => f.name);
      if (result.done) return [];
    }
  }

  /** POST /copies or /moves (a rename is a move), never replacing a file (`If-None-Match: *`). */
  async transfer(kind: 'copies' | 'moves', from: string, to: string): Promise<void> {
    await this.call('POST', `/${kind}`, { ...json({ from, to }), headers: { 'If-None-Match': '*' } });
  }

  /** POST /uploads: begins a resumable multipart upload. */
  async beginUpload(name: string, size: number, contentType: string): Promise<UploadInfo> {
    return (await this.call<UploadInfo>('POST', '/uploads', json({ name, size, contentType })))!;
  }

  /** GET /uploads, every page: the caller's unfinished uploads (to resume after a reload). */
  async unfinishedUploads(): Promise<UploadInfo[]> {
    return (await this.pages<{ uploads: UploadInfo[] }>('/uploads')).flatMap((p) => p.uploads);
  }

  /** GET /uploads/{upload}: the parts S3 has received. */
  async receivedParts(upload: string): Promise<ReceivedPart[]> {
    return (await this.call<{ parts: ReceivedPart[] }>('GET', `/uploads/${encodeURIComponent(upload)}`))!.parts;
  }

  /** POST /uploads/{upload}/parts: a presigned PUT URL per part (at most 100 at a time). */
  async partUrls(upload: string, parts: number[]): Promise<PartUrl[]> {
    return (await this.call<{ urls: PartUrl[] }>('POST', `/uploads/${encodeURIComponent(upload)}/parts`, json({ parts })))!.urls;
  }

  /** POST /uploads/{upload}/complete with every part's ETag. */
  async completeUpload(upload: string, parts: { part: number; etag: string }[]): Promise<void> {
    await this.call('POST', `/uploads/${encodeURIComponent(upload)}/complete`, json({ parts }));
  }

  /** DELETE /uploads/{upload}: abandons the upload and its parts. */
  async cancelUpload(upload: string): Promise<void> {
    await this.call('DELETE', `/uploads/${encodeURIComponent(upload)}`);
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
    await putWithProgress(target, file, onProgress).done;
  }

  /** The file's bytes, through the presigned GET URL that GET /files/{name}?download=1 returns
   *  (signed as an attachment named after the file's last segment, with a safe type). */
  async download(name: string): Promise<Blob> {
    const { url } = (await this.call<{ url: string }>('GET', `${filePath(name)}?download=1`))!;
    return fetchBlob(url);
  }

  /** POST /shares: the recipient (a username) gets a copy of the file as it is now; sharing the
   *  same file with them again replaces their copy. */
  async share(name: string, username: string): Promise<MyShare> {
    return (await this.call<MyShare>('POST', '/shares', { ...json({ name, with: username }), errors: { invalid_parameter: MESSAGES.shareInvalid } }))!;
  }

  /** GET /shares: the caller's shares and the files shared with them. */
  async shares(): Promise<Shares> {
    return (await this.call<Shares>('GET', '/shares'))!;
  }

  /** A shared file's bytes, through the presigned GET URL that GET /shares/{id}?download=1
   *  returns (signed as an attachment, as for the caller's own files). */
  async downloadShared(id: string): Promise<Blob> {
    const { url } = (await this.call<{ url: string }>('GET', `/shares/${encodeURIComponent(id)}?download=1`))!;
    return fetchBlob(url);
  }

  /** DELETE /shares/{id}: the recipient's copy is deleted (nothing happens when it is gone already). */
  async revoke(id: string): Promise<void> {
    await this.call('DELETE', `/shares/${encodeURIComponent(id)}`, { errors: { share_not_found: MESSAGES.notYourShare } });
  }

  /** DELETE /files/{name}, or DELETE /files?id= for a name no path can carry. */
  async remove(file: FileInfo): Promise<void> {
    await this.call('DELETE', file.addressable === false && file.id ? `/files?id=${encodeURIComponent(file.id)}` : filePath(file.name));
  }

  /** Every page of a listing (GET `path`, then again with each answer's `next`). */
  private async pages<P>(path: string, params: Record<string, string> = {}): Promise<P[]> {
    const pages: P[] = [];
    let next: string | null = null;
    do {
      const query = Object.entries(next ? { ...params, next } : params)
        .map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
      const page: P & { next: string | null } = (await this.call<P & { next: string | null }>('GET', query ? `${path}?${query}` : path))!;
      pages.push(page);
      next = page.next;
    } while (next);
    return pages;
  }

  private async call<T>(method: string, path: string, options: CallOptions = {}): Promise<T | undefined> {
    const { idToken, keys } = await this.session.credentials();
    const signer = new AwsClient({
      accessKeyId: keys.accessKeyId,
      secretAccessKey: keys.secretAccessKey,
      sessionToken: keys.sessionToken,
      service: 'execute-api',
      region: this.config.region,
      retries: 0, // a refused call is reported, not repeated (aws4fetch retries 5xx by default)
    });
    const headers: Record<string, string> = { ...options.headers, idToken };
    if (options.contentType) headers['content-type'] = options.contentType;
    const response = await signer.fetch(`${this.config.apiUrl}${path}`, { method, headers, body: options.body });
    if (response.status === 204) return undefined;
    const body: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      const error = fromApi(response.status, body, options.errors);
      if (error.signOut) this.onSessionEnd?.(error);
      throw error;
    }
    return (body as { data: T }).data;
  }

  /** Called when an answer means the session cannot go on (expired, disabled). */
  onSessionEnd?: (error: UserError) => void;
}

/** GET a presigned URL: the bytes, or the failure in words. */
async function fetchBlob(url: string): Promise<Blob> {
  const response = await fetch(url);
  if (!response.ok) throw s3Error(response.status);
  return response.blob();
}

function s3Error(status: number): UserError {
  if (status === 403) return new UserError(MESSAGES.expired, true);
  if (status === 404) return new UserError(MESSAGES.notFound);
  if (status === 503) return new UserError(MESSAGES.busy);
  return new UserError(MESSAGES.unknown);
}

/** A PUT under way: `done` settles with the answer's ETag; `abort()` stops it (`done` then rejects
 *  with an AbortError). */
export interface Put {
  readonly done: Promise<string>;
  abort(): void;
}

/** fetch() reports no upload progress; XMLHttpRequest does. */
export function putWithProgress(target: UploadUrl, file: Blob, onProgress: (fraction: number) => void): Put {
  const xhr = new XMLHttpRequest();
  const done = new Promise<string>((resolve, reject) => {
    xhr.open(target.method, target.url);
    for (const [name, value] of Object.entries(target.headers)) {
      // The browser sets these itself (and refuses them from scripts); they are signed with the
      // values the browser will send.
      if (!['content-length', 'host'].includes(name.toLowerCase())) xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300
      ? (onProgress(1), resolve(xhr.getResponseHeader('ETag') ?? ''))
      : reject(s3Error(xhr.status)));
    xhr.onerror = () => reject(new UserError(MESSAGES.network));
    xhr.onabort = () => reject(new DOMException('The upload was paused or cancelled.', 'AbortError'));
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}
