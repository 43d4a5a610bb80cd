// The page: wires the DOM to Session (sign-in, keys) and FilesApi (signed calls).
import { FilesApi, type FileInfo } from './api';
import { loadConfig, type Config } from './config';
import { describe, MESSAGES, UserError } from './errors';
import { Session } from './session';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let config: Config;
let session: Session | undefined;
let api: FilesApi | undefined;

function showError(error: unknown): void {
  const userError = describe(error);
  const box = $('error');
  box.textContent = userError.message;
  box.hidden = false;
  if (userError.signOut && session) signOut(false);
}

function clearError(): void {
  $('error').hidden = true;
  $('error').textContent = '';
}

/** Run a user action: errors become a sentence on the page, buttons are off meanwhile. */
async function action(work: () => Promise<void>): Promise<void> {
  clearError();
  document.body.classList.add('busy');
  try {
    await work();
  } catch (error) {
    showError(error);
  } finally {
    document.body.classList.remove('busy');
  }
}

function render(): void {
  $('loading').hidden = true;
  $('sign-in-form').hidden = !!session;
  $('signed-in').hidden = !session;
  $('who').textContent = session ? `Signed in as ${session.username}` : '';
}

/** Sign out at once; the refresh token is revoked meanwhile. `clear`: a sign-out the user asked for
 *  (a failed revocation is then reported; after an error, the error stays on the page). */
function signOut(clear = true): void {
  const ending = session;
  session = undefined;
  api = undefined;
  $('result').textContent = '';
  $('file-list').replaceChildren();
  if (clear) clearError();
  render();
  void ending?.signOut().then((revoked) => {
    if (!revoked && clear && !session) showError(new UserError(MESSAGES.signedOutLocally));
  });
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function fileRow(file: FileInfo): HTMLTableRowElement {
  const row = document.createElement('tr');
  row.dataset.testid = 'file-row';
  const cell = (text: string, className = '') => {
    const td = document.createElement('td');
    td.textContent = text;
    td.className = className;
    return td;
  };
  const button = (label: string, testid: string, onClick: () => Promise<void>) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.dataset.testid = testid;
    b.addEventListener('click', () => void action(onClick));
    return b;
  };
  const buttons = cell('');
  buttons.append(
    button('Download', 'download', async () => saveAs(await api!.download(file.name), file.name)),
    ' ',
    button('Delete', 'delete', async () => {
      await api!.remove(file.name);
      await refreshList();
    }),
  );
  row.append(cell(file.name), cell(formatSize(file.size), 'size'), cell(new Date(file.lastModified).toLocaleString()), buttons);
  return row;
}

function saveAs(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name.split('/').pop() ?? name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function refreshList(): Promise<void> {
  const files = await api!.list();
  $('file-list').replaceChildren(...files.map(fileRow));
}

function wire(): void {
  $('sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const username = (form.elements.namedItem('username') as HTMLInputElement).value.trim();
    const password = form.elements.namedItem('password') as HTMLInputElement;
    void action(async () => {
      try {
        session = await Session.signIn(config, username, password.value);
      } finally {
        password.value = ''; // the password is not kept anywhere, the field included
      }
      api = new FilesApi(config, session);
      api.onSessionEnd = (error) => showError(error);
      render();
      await refreshList();
    });
  });
  $('sign-out').addEventListener('click', () => signOut());
  $('read-file').addEventListener('click', () =>
    void action(async () => {
      $('result').textContent = '';
      $('result').textContent = await api!.readFile();
    }),
  );
  $('upload-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $<HTMLInputElement>('file-input');
    const file = input.files?.[0];
    if (!file) return;
    const progress = $<HTMLProgressElement>('progress');
    void action(async () => {
      progress.value = 0;
      progress.hidden = false;
      try {
        await api!.upload(file.name, file, (fraction) => (progress.value = fraction));
      } finally {
        progress.hidden = true;
      }
      input.value = '';
      await refreshList();
    });
  });
}

async function start(): Promise<void> {
  wire();
  try {
    config = await loadConfig();
  } catch {
    $('loading').hidden = true;
    showError(new UserError('This page is not configured: config.json is missing or incomplete (see examples/web/README.md).'));
    return;
  }
  render();
}

void start();
