// The upload queue: one row per file with its own progress bar. Files up to
// `multipartThresholdBytes` go in one request (FilesApi.upload); larger ones as resumable multipart
// uploads (POST /uploads): parts PUT straight to S3 through presigned URLs, `uploadConcurrency` at a
// time, which can be paused, resumed and cancelled. S3 keeps the parts it received, so a paused
// upload resumes after a reload too: GET /uploads lists it, GET /uploads/{upload} tells which parts
// are there, and only the others are sent once the user picks the same file again.
import { FilesApi, putWithProgress, type PartUrl, type Put, type UploadInfo } from './api';
import type { Config } from './config';
import { MESSAGES, UserError } from './errors';

/** What the queue needs from the page. */
export interface TransferHost {
  readonly config: Config;
  api(): FilesApi;
  /** A file is stored: show the listing again. */
  uploaded(): Promise<void>;
  /** Show a failure in words. */
  report(error: unknown): void;
  /** Ask the user for a file (to resume an upload begun before a reload). */
  chooseFile(): Promise<File | undefined>;
}

type State = 'waiting' | 'uploading' | 'paused' | 'done' | 'failed';
const STATUS: Record<State, string> = {
  waiting: 'Waiting',
  uploading: 'Uploading',
  paused: 'Paused',
  done: 'Uploaded',
  failed: 'Failed',
};
/** A part URL is asked for again when it expires sooner than this. */
const URL_MARGIN_MS = 60_000;
/** Part URLs asked for per request (the API signs at most 100). */
const URL_BATCH = 100;

const isAbort = (error: unknown) => (error as { name?: string } | null)?.name === 'AbortError';

/** One file's row in the queue: its name, progress bar, status and (multipart) buttons. */
class Row {
  readonly element = document.createElement('li');
  private readonly bar = document.createElement('progress');
  private readonly status = document.createElement('span');
  private readonly buttons: Record<'pause' | 'resume' | 'cancel', HTMLButtonElement>;

  constructor(name: string, resumable: boolean, actions: { pause(): void; resume(): void; cancel(): void }) {
    this.element.dataset.testid = 'transfer';
    this.element.dataset.name = name;
    const label = document.createElement('span');
    label.className = 'name';
    label.textContent = name;
    this.bar.dataset.testid = 'progress';
    this.bar.max = 1;
    this.bar.value = 0;
    this.bar.setAttribute('aria-label', `Upload of ${name}`);
    this.status.dataset.testid = 'transfer-status';
    this.status.className = 'status';
    const button = (text: string, testid: 'pause' | 'resume' | 'cancel', onClick: () => void) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = text;
      b.dataset.testid = testid;
      b.setAttribute('aria-label', `${text} the upload of ${name}`);
      b.hidden = true;
      b.addEventListener('click', onClick);
      return b;
    };
    this.buttons = {
      pause: button('Pause', 'pause', actions.pause),
      resume: button('Resume', 'resume', actions.resume),
      cancel: button('Cancel', 'cancel', actions.cancel),
    };
    this.element.append(label, ' ', this.bar, ' ', this.status);
    if (resumable) this.element.append(' ', this.buttons.pause, this.buttons.resume, ' ', this.buttons.cancel);
  }

  progress(fraction: number): void {
    this.bar.value = Math.min(1, Math.max(0, fraction));
  }

  show(state: State, note = ''): void {
    this.element.dataset.state = state;
    this.status.textContent = note ? `${STATUS[state]}: ${note}` : STATUS[state];
    const focused = Object.values(this.buttons).find((b) => b === document.activeElement);
    this.buttons.pause.hidden = state !== 'uploading';
    this.buttons.resume.hidden = state !== 'paused' && state !== 'failed';
    this.buttons.cancel.hidden = state === 'done';
    // Keep the keyboard where it was: Pause becomes Resume and back.
    if (focused?.hidden) (state === 'uploading' ? this.buttons.pause : this.buttons.resume).focus();
  }
}

/** A resumable multipart upload of one file. */
class Multipart {
  private readonly etags = new Map<number, string>();
  private readonly loaded = new Map<number, number>();
  private readonly puts = new Map<number, Put>();
  private readonly urls = new Map<number, PartUrl>();
  private urlBatch: Promise<void> | undefined;
  private paused = false;
  private running: Promise<void> | undefined;
  readonly row: Row;
  /** Called once the upload is cancelled and its row gone. */
  cancelled?: () => void;

  constructor(
    private readonly host: TransferHost,
    readonly name: string,
    private file: File | undefined,
    private info: UploadInfo | undefined,
  ) {
    this.row = new Row(name, true, { pause: () => this.pause(), resume: () => void this.resume(), cancel: () => void this.cancel() });
  }

  /** Begin (or go on with) the upload; settles when it is stored, paused or failed. */
  async start(): Promise<void> {
    while (this.running) await this.running; // a pause settles first
    this.paused = false;
    this.running = this.run().finally(() => (this.running = undefined));
    await this.running;
  }

  /** Stop sending: parts under way are abandoned; S3 keeps the ones it received. */
  pause(): void {
    this.paused = true;
    for (const put of this.puts.values()) put.abort();
    this.row.show('paused');
  }

  async resume(): Promise<void> {
    if (!this.file) {
      const chosen = await this.host.chooseFile();
      if (!chosen) return;
      if (chosen.size !== this.info?.size) {
        this.host.report(new UserError(MESSAGES.otherFile));
        return;
      }
      this.file = chosen;
    }
    await this.start();
  }

  async cancel(): Promise<void> {
    this.paused = true;
    for (const put of this.puts.values()) put.abort();
    try {
      await this.running;
      if (this.info) await this.host.api().cancelUpload(this.info.upload);
      this.row.element.remove();
      this.cancelled?.();
    } catch (error) {
      this.host.report(error);
    }
  }

  /** The upload is `info` (known by its handle), or may be: it is still being begun under that name. */
  is(info: UploadInfo): boolean {
    return this.info ? this.info.upload === info.upload : this.name === info.name;
  }

  /** Shown after a reload: S3 has some parts, the page no longer has the file. */
  showRestored(): void {
    this.row.show('paused', 'choose the same file to resume');
    void this.received().catch(() => {});
  }

  private async run(): Promise<void> {
    const api = this.host.api();
    this.row.show('uploading');
    try {
      if (!this.info) this.info = await api.beginUpload(this.name, this.file!.size, this.file!.type || 'application/octet-stream');
      else await this.received();
      const todo = Array.from({ length: this.info.partCount }, (_, i) => i + 1).filter((n) => !this.etags.has(n));
      const worker = async () => {
        for (let n = todo.shift(); n !== undefined && !this.paused; n = todo.shift()) await this.send(n, todo);
      };
      await Promise.all(Array.from({ length: Math.max(1, this.host.config.uploadConcurrency) }, worker));
      if (this.paused) return;
      const parts = [...this.etags].map(([part, etag]) => ({ part, etag })).sort((a, b) => a.part - b.part);
      await api.completeUpload(this.info.upload, parts);
      this.row.progress(1);
      this.row.show('done');
      await this.host.uploaded();
    } catch (error) {
      if (this.paused && isAbort(error)) return;
      for (const put of this.puts.values()) put.abort();
      this.paused = true;
      this.row.show('failed');
      this.host.report(error);
    }
  }

  /** The parts S3 has (the truth after a pause, a failure or a reload). */
  private async received(): Promise<void> {
    const parts = await this.host.api().receivedParts(this.info!.upload);
    this.etags.clear();
    for (const p of parts) this.etags.set(p.part, p.etag);
    this.loaded.clear();
    this.showProgress();
  }

  private async send(n: number, todo: number[]): Promise<void> {
    const { partSize, size } = this.info!;
    const start = (n - 1) * partSize;
    const body = this.file!.slice(start, Math.min(size, start + partSize));
    const url = await this.urlFor(n, todo);
    if (this.paused) return;
    const put = putWithProgress(url, body, (fraction) => {
      this.loaded.set(n, fraction * body.size);
      this.showProgress();
    });
    this.puts.set(n, put);
    try {
      this.etags.set(n, await put.done);
    } catch (error) {
      if (this.paused && isAbort(error)) return;
      throw error;
    } finally {
      this.puts.delete(n);
      this.loaded.delete(n); // counted as received, or not at all
      this.showProgress();
    }
  }

  /** Part `n`'s URL, asked for with the next parts' (a batch at a time), again when near expiry. */
  private async urlFor(n: number, todo: number[]): Promise<PartUrl> {
    for (;;) {
      const url = this.urls.get(n);
      if (url && Date.parse(url.expiresAt) - Date.now() > URL_MARGIN_MS) return url;
      if (!this.urlBatch) {
        const wanted = [n, ...todo.filter((p) => p !== n)].slice(0, URL_BATCH);
        this.urlBatch = this.host.api().partUrls(this.info!.upload, wanted)
          .then((urls) => urls.forEach((u) => this.urls.set(u.part, u)))
          .finally(() => (this.urlBatch = undefined));
      }
      await this.urlBatch;
      if (!this.urls.has(n)) throw new UserError(MESSAGES.unknown);
    }
  }

  private showProgress(): void {
    const { partSize, size, partCount } = this.info!;
    let bytes = 0;
    for (const n of this.etags.keys()) bytes += n === partCount ? size - (partCount - 1) * partSize : partSize;
    for (const b of this.loaded.values()) bytes += b;
    this.row.progress(bytes / size);
  }
}

/** The queue: files are sent one after another (a multipart upload sends its parts in parallel). */
export class Transfers {
  private queue: Promise<void> = Promise.resolve();
  private readonly multiparts = new Set<Multipart>();

  constructor(private readonly list: HTMLElement, private readonly host: TransferHost) {}

  /** Upload `file` under `name` (the folder included). */
  add(file: File, name: string): void {
    if (file.size > this.host.config.multipartThresholdBytes) {
      const upload = this.track(new Multipart(this.host, name, file, undefined));
      upload.row.show('waiting');
      this.list.append(upload.row.element);
      this.enqueue(() => upload.start());
      return;
    }
    const row = new Row(name, false, { pause() {}, resume() {}, cancel() {} });
    row.show('waiting');
    this.list.append(row.element);
    this.enqueue(async () => {
      row.show('uploading');
      try {
        await this.host.api().upload(name, file, (fraction) => row.progress(fraction));
        row.show('done');
        await this.host.uploaded();
      } catch (error) {
        row.show('failed');
        this.host.report(error);
      }
    });
  }

  /** After sign-in: the unfinished uploads S3 still has, paused, to resume or cancel. */
  restore(uploads: UploadInfo[]): void {
    for (const info of uploads) {
      // One this page has begun (the listing may have crossed its POST /uploads) is already here.
      if ([...this.multiparts].some((m) => m.is(info))) continue;
      const upload = this.track(new Multipart(this.host, info.name, undefined, info));
      upload.showRestored();
      this.list.append(upload.row.element);
    }
  }

  /** Forget every row (sign-out); uploads under way are abandoned, S3 keeps what it received. */
  clear(): void {
    for (const button of this.list.querySelectorAll<HTMLButtonElement>('[data-testid=pause]:not([hidden])')) button.click();
    this.list.replaceChildren();
    this.multiparts.clear();
  }

  private track(upload: Multipart): Multipart {
    this.multiparts.add(upload);
    upload.cancelled = () => this.multiparts.delete(upload);
    return upload;
  }

  private enqueue(work: () => Promise<void>): void {
    this.queue = this.queue.then(work, work);
  }
}
