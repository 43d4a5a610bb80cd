'use client';
// The page's interactive part. It talks to this app's /api routes only (the session cookie goes
// along by itself); tokens and AWS keys never reach it. Large files go from here straight to S3
// with a presigned URL, so the bytes pass neither through this server nor through the API.
import { signIn, signOut } from 'next-auth/react';
import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { type Failure, MESSAGES } from '../lib/messages';

interface FileInfo {
  name: string;
  size: number;
  lastModified: string;
}

interface Presigned {
  url: string;
  method: string;
  headers: Record<string, string>;
}

class PageError extends Error {
  constructor(message: string, readonly signOut = false) {
    super(message);
  }
}

const filePath = (name: string) => `/api/files/${name.split('/').map(encodeURIComponent).join('/')}`;

async function call<T>(method: string, path: string, body?: BodyInit, contentType?: string): Promise<T | undefined> {
  let response: Response;
  try {
    response = await fetch(path, { method, body, headers: contentType ? { 'content-type': contentType } : {} });
  } catch {
    throw new PageError(MESSAGES.network);
  }
  if (response.status === 204) return undefined;
  const json = (await response.json().catch(() => null)) as (T & Partial<Failure>) | null;
  if (!response.ok) throw new PageError(json?.error ?? MESSAGES.unknown, json?.signOut ?? false);
  return json ?? undefined;
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** fetch() reports no upload progress; XMLHttpRequest does. */
function putWithProgress(target: Presigned, file: Blob, onProgress: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(target.method, target.url);
    for (const [name, value] of Object.entries(target.headers)) {
      // The browser sets these itself; they are signed with the values it will send.
      if (!['content-length', 'host'].includes(name.toLowerCase())) xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? (onProgress(1), resolve()) : reject(new PageError(xhr.status === 403 ? MESSAGES.expired : MESSAGES.unknown)));
    xhr.onerror = () => reject(new PageError(MESSAGES.network));
    xhr.send(file);
  });
}

export function Files(props: { username: string | null; logoutUrl: string; initialError?: string; smallUploadMaxBytes: number }) {
  const [username, setUsername] = useState(props.username);
  const [error, setError] = useState(props.initialError ?? '');
  const [result, setResult] = useState('');
  const [files, setFiles] = useState<FileInfo[]>([]);
  const [progress, setProgress] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  /** Run a user action: a failure becomes one sentence on the page; a dead session signs out here. */
  const action = useCallback(async (work: () => Promise<void>) => {
    setError('');
    setBusy(true);
    try {
      await work();
    } catch (e) {
      const failure = e instanceof PageError ? e : new PageError(MESSAGES.unknown);
      setError(failure.message);
      if (failure.signOut) {
        await signOut({ redirect: false }).catch(() => {});
        setUsername(null);
        setFiles([]);
        setResult('');
      }
    } finally {
      setBusy(false);
    }
  }, []);

  const refreshList = useCallback(async () => {
    setFiles((await call<{ files: FileInfo[] }>('GET', '/api/files'))!.files);
  }, []);

  useEffect(() => {
    if (username) void action(refreshList);
  }, [username, action, refreshList]);

  if (!username) {
    return (
      <section>
        {error && <p className="error" data-testid="error" role="alert">{error}</p>}
        <p>Sign in with your account to see your files.</p>
        <button data-testid="sign-in" type="button" onClick={() => void signIn('cognito', { callbackUrl: '/' })}>Sign in</button>
      </section>
    );
  }

  const upload = (event: FormEvent) => {
    event.preventDefault();
    const file = input.current?.files?.[0];
    if (!file) return;
    void action(async () => {
      const contentType = file.type || 'application/octet-stream';
      setProgress(0);
      try {
        if (file.size <= props.smallUploadMaxBytes) {
          await call('PUT', filePath(file.name), file, contentType);
          setProgress(1);
        } else {
          const target = (await call<Presigned>('POST', '/api/upload-urls', JSON.stringify({ name: file.name, size: file.size, contentType }), 'application/json'))!;
          await putWithProgress(target, file, setProgress);
        }
      } finally {
        setProgress(null);
      }
      if (input.current) input.current.value = '';
      await refreshList();
    });
  };

  const download = (name: string) => action(async () => {
    const { url } = (await call<{ url: string }>('GET', filePath(name)))!;
    let response: Response;
    try {
      response = await fetch(url);
    } catch {
      throw new PageError(MESSAGES.network);
    }
    if (!response.ok) throw new PageError(response.status === 404 ? MESSAGES.notFound : MESSAGES.unknown);
    const link = document.createElement('a');
    link.href = URL.createObjectURL(await response.blob());
    link.download = name.split('/').pop() ?? name;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  });

  return (
    <section>
      <p className="who">
        <span>Signed in as <strong>{username}</strong></span>
        <button className="quiet" data-testid="sign-out" type="button" disabled={busy}
          onClick={() => void action(async () => {
            // Auth.js revokes the refresh token at Cognito and clears the session cookie; then
            // Cognito's /logout ends the managed-login session and comes back here.
            await signOut({ redirect: false });
            window.location.assign(props.logoutUrl);
          })}>Sign out</button>
      </p>
      {error && <p className="error" data-testid="error" role="alert">{error}</p>}

      <p>
        <button data-testid="read-file" type="button" disabled={busy}
          onClick={() => void action(async () => {
            setResult('');
            setResult((await call<{ data: string }>('GET', '/api/read-file'))!.data);
          })}>Read my file</button>
        <output data-testid="result">{result}</output>
      </p>

      <h2>Files</h2>
      <form className="upload" onSubmit={upload}>
        <input data-testid="file-input" ref={input} type="file" required />
        <button data-testid="upload" type="submit" disabled={busy}>Upload</button>
        {progress !== null && <progress data-testid="progress" max={1} value={progress} />}
      </form>
      <table>
        <thead><tr><th>Name</th><th>Size</th><th>Changed</th><th /></tr></thead>
        <tbody data-testid="file-list">
          {files.map((file) => (
            <tr data-testid="file-row" key={file.name}>
              <td>{file.name}</td>
              <td className="size">{formatSize(file.size)}</td>
              <td>{new Date(file.lastModified).toLocaleString()}</td>
              <td className="actions">
                <button className="quiet" data-testid="download" type="button" onClick={() => void download(file.name)}>Download</button>{' '}
                <button className="quiet" data-testid="delete" type="button"
                  onClick={() => void action(async () => {
                    await call('DELETE', filePath(file.name));
                    await refreshList();
                  })}>Delete</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
