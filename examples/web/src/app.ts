// The page: wires the DOM to Session (sign-in, keys), FilesApi (signed calls) and Transfers (the
// upload queue). A small storage browser: breadcrumbs and folders, uploads of files and folders
// (picked or dropped), copy, move, rename, delete, download under the file's name; sharing a file
// with another user by username, and a view of what is shared with the user and by them.
import { baseName, FilesApi, type FileInfo, type FolderInfo, type MyShare, type SharedWithMe } from './api';
import { loadConfig, type Config } from './config';
import { describe, MESSAGES, UserError } from './errors';
import { Session } from './session';
import { Transfers } from './transfers';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let config: Config;
let session: Session | undefined;
let api: FilesApi | undefined;
/** The folder shown: '' for the top, else its name without a trailing `/` ("photos/2026"). */
let folder = '';
let transfers: Transfers;
/** Counts GET /shares calls: only the latest one's answer is shown. */
let sharesAsked = 0;

/** A name in the folder shown. */
const inFolder = (name: string) => (folder ? `${folder}/${name}` : name);

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

/** A sentence in the polite status region: what an action did. */
function say(text: string): void {
  $('status').textContent = text;
}

/** Run a user action: errors become a sentence on the page, buttons are off meanwhile. */
async function action(work: () => Promise<void>): Promise<void> {
  clearError();
  say('');
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
  $('shared-list').replaceChildren();
  $('my-shares').replaceChildren();
  say('');
  showView('files');
  transfers.clear();
  folder = '';
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

function button(label: string, testid: string, onClick: () => Promise<void>, accessibleName?: string): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.dataset.testid = testid;
  if (accessibleName) b.setAttribute('aria-label', accessibleName);
  b.addEventListener('click', () => void action(onClick));
  return b;
}

function cell(content: string | Node, className = ''): HTMLTableCellElement {
  const td = document.createElement('td');
  td.append(content);
  td.className = className;
  return td;
}

function folderRow(sub: FolderInfo): HTMLTableRowElement {
  const row = document.createElement('tr');
  row.dataset.testid = 'folder-row';
  row.dataset.name = sub.name;
  const name = baseName(sub.name);
  const actions = cell('', 'actions');
  let open: Node = document.createTextNode(`${name}/`);
  if (sub.addressable !== false) {
    const b = button(`${name}/`, 'open-folder', async () => navigate(sub.name), `Open folder ${name}`);
    b.classList.add('link');
    open = b;
    actions.append(button('Delete folder', 'delete-folder', async () => {
      const sure = await ask({ title: 'Delete folder', text: `Delete the folder "${name}" and everything in it?`, ok: 'Delete' });
      if (sure === undefined) return;
      const failed = await api!.removeFolder(sub.name);
      await refreshList();
      if (failed.length) throw new UserError(MESSAGES.notDeleted);
    }, `Delete folder ${name}`));
  }
  row.append(cell(open), cell('folder', 'size'), cell(''), actions);
  return row;
}

function fileRow(file: FileInfo): HTMLTableRowElement {
  const row = document.createElement('tr');
  row.dataset.testid = 'file-row';
  row.dataset.name = file.name;
  const name = baseName(file.name);
  const buttons = cell('', 'actions');
  const del = button('Delete', 'delete', async () => {
    await api!.remove(file);
    await refreshList();
  }, `Delete ${name}`);
  if (file.addressable === false) {
    buttons.append(del);
  } else {
    const change = (label: string, testid: string, kind: 'copies' | 'moves', title: string, field: string, proposed: string, target: (answer: string) => string) =>
      button(label, testid, async () => {
        const answer = await ask({ title, label: field, value: proposed, ok: label });
        if (answer === undefined || target(answer) === file.name) return;
        await api!.transfer(kind, file.name, target(answer));
        await refreshList();
      }, `${label} ${name}`);
    buttons.append(
      button('Download', 'download', async () => saveAs(await api!.download(file.name), name), `Download ${name}`),
      ' ',
      button('Share', 'share', async () => {
        const username = await ask({
          title: `Share ${name}`,
          text: `They get a copy of "${name}" as it is now (share it again to send a newer version). They must have signed in here once.`,
          username: true,
          ok: 'Share',
        });
        if (!username) return;
        const share = await api!.share(file.name, username);
        say(`"${name}" is shared with ${share.with}.`);
      }, `Share ${name}`),
      ' ',
      change('Rename', 'rename', 'moves', `Rename ${name}`, 'New name', name, inFolder),
      ' ',
      change('Copy', 'copy', 'copies', `Copy ${name}`, 'Copy to (folders and name)', inFolder(`copy of ${name}`), (a) => a),
      ' ',
      change('Move', 'move', 'moves', `Move ${name}`, 'Move to (folders and name)', file.name, (a) => a),
      ' ',
      del,
    );
  }
  row.append(cell(name), cell(formatSize(file.size), 'size'), cell(new Date(file.lastModified).toLocaleString()), buttons);
  return row;
}

/** A modal dialog (focus moves into it, Escape cancels, focus returns to the opener): the text
 *  entered (with `label`, or a username with `username`), '' for a confirmation, or undefined when
 *  cancelled. */
function ask(options: { title: string; text?: string; label?: string; value?: string; username?: boolean; ok: string }): Promise<string | undefined> {
  const dialog = $<HTMLDialogElement>('dialog');
  const text = $<HTMLInputElement>('dialog-input');
  const username = $<HTMLInputElement>('share-with');
  const input = options.username ? username : options.label !== undefined ? text : undefined;
  $('dialog-title').textContent = options.title;
  $('dialog-text').textContent = options.text ?? '';
  $('dialog-text').hidden = !options.text;
  $('dialog-label').hidden = input !== text;
  $('dialog-label-text').textContent = options.label ?? '';
  $('share-with-label').hidden = input !== username;
  for (const field of [text, username]) {
    field.value = field === input ? options.value ?? '' : '';
    field.required = field === input; // a hidden required field would block the form
  }
  $('dialog-ok').textContent = options.ok;
  const opener = document.activeElement as HTMLElement | null;
  return new Promise((resolve) => {
    const form = $<HTMLFormElement>('dialog-form');
    const done = (answer: string | undefined) => {
      form.removeEventListener('submit', submit);
      $('dialog-cancel').removeEventListener('click', cancel);
      dialog.removeEventListener('close', cancel);
      dialog.close();
      if (opener?.isConnected) opener.focus();
      resolve(answer);
    };
    const submit = (event: Event) => {
      event.preventDefault();
      done(input ? input.value.trim() : '');
    };
    const cancel = () => done(undefined);
    form.addEventListener('submit', submit);
    $('dialog-cancel').addEventListener('click', cancel);
    dialog.addEventListener('close', cancel);
    dialog.showModal();
    if (input) input.select();
    else $('dialog-ok').focus();
  });
}

/** Show `path` ('' = the top), and put the keyboard on where the user now is. */
async function navigate(path: string): Promise<void> {
  folder = path;
  await refreshList();
  $('breadcrumbs').querySelector<HTMLElement>('[aria-current]')?.focus();
}

function renderBreadcrumbs(): void {
  const parts = folder ? folder.split('/') : [];
  const crumbs = [{ label: 'My files', path: '' }, ...parts.map((p, i) => ({ label: p, path: parts.slice(0, i + 1).join('/') }))];
  $('breadcrumbs').replaceChildren(...crumbs.map((crumb, i) => {
    const li = document.createElement('li');
    if (i === crumbs.length - 1) {
      const here = document.createElement('span');
      here.textContent = crumb.label;
      here.dataset.testid = 'breadcrumb';
      here.setAttribute('aria-current', 'location');
      here.tabIndex = -1;
      li.append(here);
    } else {
      li.append(button(crumb.label, 'breadcrumb', async () => navigate(crumb.path)));
    }
    return li;
  }));
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
  const shown = folder;
  const current = api;
  if (!current) return; // signed out meanwhile
  let level;
  try {
    level = await current.listLevel(shown);
  } catch (error) {
    if (current !== api) return; // signed out meanwhile: that session's failures are not news
    throw error;
  }
  if (shown !== folder || current !== api) return; // the user went elsewhere, or signed out, meanwhile
  renderBreadcrumbs();
  replaceRows($('file-list'), [...level.folders.map(folderRow), ...level.files.map(fileRow)], $('files-heading'));
}

/** Show `rows` in `list`. A listing asked again (an upload finished, a share stopped) must not take
 *  the keyboard away: the control that had it is focused again in the same row (same kind, same
 *  id or name) when that row is still listed, else the list's heading gets it. */
function replaceRows(list: HTMLElement, rows: HTMLElement[], heading: HTMLElement): void {
  const focused = document.activeElement instanceof HTMLElement && list.contains(document.activeElement) ? document.activeElement : undefined;
  const key = (row: HTMLElement | null | undefined) => row && `${row.dataset.testid}\n${row.dataset.id ?? ''}\n${row.dataset.name ?? ''}`;
  const was = key(focused?.closest<HTMLElement>('tr'));
  list.replaceChildren(...rows);
  if (!focused) return;
  const control = focused.dataset.testid;
  const again = rows.find((row) => key(row) === was)?.querySelector<HTMLElement>(`[data-testid="${control}"]`);
  (again ?? heading).focus();
}

/** Show the user's files or the shares; the pressed button says which. */
function showView(next: 'files' | 'shares'): void {
  $('files-view').hidden = next !== 'files';
  $('shares-view').hidden = next !== 'shares';
  $('my-files').setAttribute('aria-pressed', String(next === 'files'));
  $('shared-with-me').setAttribute('aria-pressed', String(next === 'shares'));
}

function sharedRow(share: SharedWithMe): HTMLTableRowElement {
  const row = document.createElement('tr');
  row.dataset.testid = 'shared-row';
  row.dataset.id = share.id;
  row.dataset.name = share.name;
  const name = baseName(share.name);
  const from = share.from ?? 'unknown'; // an owner the service has no username for
  const actions = cell('', 'actions');
  actions.append(button('Download', 'download', async () => saveAs(await api!.downloadShared(share.id), name),
    `Download ${name} from ${share.from ?? 'an unknown user'}`));
  row.append(cell(share.name), cell(from, 'from'), cell(formatSize(share.size), 'size'), cell(new Date(share.lastModified).toLocaleString()), actions);
  return row;
}

function myShareRow(share: MyShare): HTMLTableRowElement {
  const row = document.createElement('tr');
  row.dataset.testid = 'my-share-row';
  row.dataset.id = share.id;
  row.dataset.name = share.name;
  row.dataset.with = share.with;
  const actions = cell('', 'actions');
  actions.append(button('Stop sharing', 'revoke', async () => {
    await api!.revoke(share.id);
    say(`"${baseName(share.name)}" is no longer shared with ${share.with}.`);
    await refreshShares();
  }, `Stop sharing ${share.name} with ${share.with}`));
  row.append(cell(share.name), cell(share.with, 'with'), cell(new Date(share.sharedAt).toLocaleString()), actions);
  return row;
}

/** GET /shares into the shares view. */
async function refreshShares(): Promise<void> {
  const current = api;
  if (!current) return;
  const asked = ++sharesAsked;
  let shares;
  try {
    shares = await current.shares();
  } catch (error) {
    if (current !== api) return; // signed out meanwhile
    throw error;
  }
  if (asked !== sharesAsked || current !== api) return; // a later answer, or another session, counts
  for (const [list, rows, empty, heading] of [
    ['shared-list', shares.withMe.map(sharedRow), 'shared-empty', 'shared-heading'],
    ['my-shares', shares.mine.map(myShareRow), 'mine-empty', 'mine-heading'],
  ] as const) {
    replaceRows($(list), rows, $(heading));
    $(empty).hidden = rows.length > 0;
  }
  $('shared-truncated').hidden = !shares.withMeTruncated;
}

/** Every file of a dropped folder, with its path inside the drop. */
async function droppedFiles(items: DataTransferItemList): Promise<{ file: File; path: string }[]> {
  const found: { file: File; path: string }[] = [];
  const entries: FileSystemEntry[] = [];
  for (const item of [...items].filter((i) => i.kind === 'file')) {
    // A file without a file-system entry (given by a script, or by some browsers) is taken as it is.
    const entry = item.webkitGetAsEntry();
    const file = entry ? undefined : item.getAsFile();
    if (entry) entries.push(entry);
    else if (file) found.push({ file, path: file.name });
  }
  const walk = async (entry: FileSystemEntry, path: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      found.push({ file, path: `${path}${entry.name}` });
      return;
    }
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
      if (!batch.length) break;
      for (const child of batch) await walk(child, `${path}${entry.name}/`);
    }
  };
  for (const entry of entries) await walk(entry, '');
  return found;
}

function chooseFile(): Promise<File | undefined> {
  const input = $<HTMLInputElement>('resume-input');
  input.value = '';
  return new Promise((resolve) => {
    const settle = () => {
      input.removeEventListener('change', settle);
      input.removeEventListener('cancel', settle);
      resolve(input.files?.[0]);
    };
    input.addEventListener('change', settle);
    input.addEventListener('cancel', settle);
    input.click();
  });
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
      const signedIn = new FilesApi(config, session);
      signedIn.onSessionEnd = (error) => {
        if (api === signedIn) showError(error); // not once signed out
      };
      api = signedIn;
      showView('files');
      render();
      await refreshList();
      const unfinished = await signedIn.unfinishedUploads().catch((error: unknown) => {
        if (api !== signedIn) return []; // signed out meanwhile: nothing to restore, nothing to report
        throw error;
      });
      if (api === signedIn) transfers.restore(unfinished); // unless signed out meanwhile
    });
  });
  $('sign-out').addEventListener('click', () => signOut());
  $('my-files').addEventListener('click', () =>
    void action(async () => {
      showView('files');
      await refreshList();
    }),
  );
  const showShares = () =>
    void action(async () => {
      showView('shares');
      await refreshShares();
    });
  $('shared-with-me').addEventListener('click', showShares);
  $('refresh-shares').addEventListener('click', showShares);
  $('read-file').addEventListener('click', () =>
    void action(async () => {
      $('result').textContent = '';
      $('result').textContent = await api!.readFile();
    }),
  );
  $('upload-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $<HTMLInputElement>('file-input');
    for (const file of input.files ?? []) transfers.add(file, inFolder(file.name));
    input.value = '';
  });
  $('folder-input').addEventListener('change', () => {
    const input = $<HTMLInputElement>('folder-input');
    for (const file of input.files ?? []) transfers.add(file, inFolder(file.webkitRelativePath || file.name));
    input.value = '';
  });
  const zone = $('drop-zone');
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    const items = event.dataTransfer?.items;
    if (!items || !api) return;
    const target = folder;
    void action(async () => {
      for (const { file, path } of await droppedFiles(items)) transfers.add(file, target ? `${target}/${path}` : path);
    });
  });
  $('new-folder-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $<HTMLInputElement>('new-folder-name');
    const name = input.value.trim().replace(/^\/+|\/+$/g, '');
    if (!name) return;
    void action(async () => {
      await api!.createFolder(inFolder(name));
      input.value = '';
      await refreshList();
    });
  });
}

async function start(): Promise<void> {
  transfers = new Transfers($('transfers'), {
    get config() {
      return config;
    },
    api: () => {
      if (!api) throw new UserError(MESSAGES.expired, true);
      return api;
    },
    uploaded: refreshList,
    report: showError,
    chooseFile,
  });
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
