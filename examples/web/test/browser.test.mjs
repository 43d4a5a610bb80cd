// The page in a real browser (headless Chromium through playwright-core), against the local
// stack, its API gateway and the function under `cargo lambda watch`. tests/web.sh starts what it
// needs and sets the environment; run it through `make test` or `bash tests/web.sh`.
//
// Never printed: ID tokens, keys, session tokens, presigned URLs. Assertions compare them inside
// the test and report only booleans and names.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import {
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RevokeTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through tests/web.sh`);
  return value;
};
const ORIGIN = 'http://localhost:3000'; // the origin the stack's CORS rules allow (api.json)
const SERVED_AT = env('WEB_URL'); // where tests/web.sh serves dist/ (may be another port)
const CHROME = env('CHROME_PATH');
const readEnv = (path) => Object.fromEntries(readFileSync(path, 'utf8').split('\n')
  .filter((l) => l.includes('=') && !l.startsWith('#')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
const stack = readEnv(env('STACK_ENV'));
const fixtures = readEnv(env('FIXTURES_ENV'));
const PASSWORDS = { admin: fixtures.ADMIN_PASSWORD, user: fixtures.USER_PASSWORD };
const CONTROL = `http://127.0.0.1:${fixtures.LOCAL_STACK_PORT}/moto-ext`;
const CONFIG = JSON.parse(readFileSync(env('WEB_CONFIG'), 'utf8'));

const admin = new CognitoIdentityProviderClient({
  region: stack.AWS_REGION,
  endpoint: stack.AWS_ENDPOINT_URL,
  credentials: { accessKeyId: fixtures.FIXTURE_AWS_ACCESS_KEY_ID, secretAccessKey: fixtures.FIXTURE_AWS_SECRET_ACCESS_KEY },
});

/** Cognito as the page calls it (no keys: InitiateAuth and RevokeToken are public operations). */
const publicIdp = new CognitoIdentityProviderClient({ region: CONFIG.region, endpoint: CONFIG.cognitoEndpoint, maxAttempts: 1 });
const refreshWith = (token) => publicIdp.send(new InitiateAuthCommand({
  ClientId: CONFIG.userPoolClientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: token },
}));
/** The operation of a request to Cognito ("InitiateAuth", "RevokeToken", ...), or undefined. */
const cognitoTarget = (request) => request.headers()['x-amz-target']?.split('.').pop();

let browser;
const secretsSeen = new Set(); // every token and key the page received, to check nothing leaks
const allLogs = []; // every console line and page error of every test
// Every Content-Security-Policy violation the pages reported (securitypolicyviolation events and
// the console's "Refused to ..." lines), with whether its page was the one that provokes one.
const cspReports = [];
let pagesWatched = 0;

before(async () => {
  browser = await chromium.launch({
    executablePath: CHROME,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await browser?.close();
});

/** A fresh browser context (its own memory, no shared state) with the page open at ORIGIN.
 *  `provokes`: this page is made to break its policy (its violations are expected). */
async function openPage({ provokes = false, config } = {}) {
  const proxied = SERVED_AT !== ORIGIN;
  // Served at another port, the page reaches the browser through this route: Chromium then does
  // not know the document came from a loopback address and asks the "local network access"
  // permission before the page may call the local stack; granted here as a user would.
  const context = await browser.newContext({ acceptDownloads: true, permissions: proxied ? ['local-network-access'] : [] });
  context.setDefaultTimeout(15_000);
  if (proxied) {
    // The page must run at the allowed origin (CORS); on a shared machine it may be served elsewhere.
    await context.route(`${ORIGIN}/**`, async (route) => {
      const url = new URL(route.request().url());
      const response = await route.fetch({ url: `${SERVED_AT}${url.pathname}${url.search}` });
      await route.fulfill({ response });
    });
  }
  if (config) {
    // Settings a deployment would put in config.json (e.g. a lower multipart threshold).
    await context.route(`${ORIGIN}/config.json`, (route) => route.fulfill({ json: { ...CONFIG, ...config } }));
  }
  const violations = [];
  await context.exposeBinding('reportCspViolation', (_source, v) => {
    violations.push(v);
    cspReports.push({ provokes, what: `${v.effectiveDirective} ${v.blockedURI}` });
  });
  await context.addInitScript(() => document.addEventListener('securitypolicyviolation', (e) => window.reportCspViolation({
    effectiveDirective: e.effectiveDirective, blockedURI: e.blockedURI, originalPolicy: e.originalPolicy, disposition: e.disposition,
  })));
  pagesWatched += 1;
  const page = await context.newPage();
  const log = [];
  const keep = (line) => {
    log.push(line);
    allLogs.push(line);
    if (/Content Security Policy|Trusted Type/i.test(line)) cspReports.push({ provokes, what: line.slice(0, 200) });
  };
  page.on('console', (m) => keep(m.text()));
  page.on('pageerror', (e) => keep(String(e)));
  page.on('response', async (response) => {
    // Remember what Cognito handed out (never printed), to check it shows up nowhere.
    if (response.request().method() !== 'POST' || !response.url().startsWith(CONFIG.cognitoEndpoint ?? 'https://cognito-')) return;
    try {
      const body = await response.json();
      const r = body.AuthenticationResult ?? {};
      const c = body.Credentials ?? {};
      for (const s of [r.IdToken, r.AccessToken, r.RefreshToken, c.SecretKey, c.SessionToken]) if (s) secretsSeen.add(s);
    } catch { /* not JSON */ }
  });
  const response = await page.goto(`${ORIGIN}/`);
  await page.getByTestId('sign-in').waitFor();
  return { context, page, log, violations, headers: response.headers() };
}

async function signIn(page, user, password = PASSWORDS[user]) {
  await page.getByTestId('username').fill(user);
  await page.getByTestId('password').fill(password);
  await page.getByTestId('sign-in').click();
}

async function signedIn(user, options) {
  const opened = await openPage(options);
  await signIn(opened.page, user);
  await opened.page.getByTestId('sign-out').waitFor();
  return opened;
}

async function readFile(page) {
  await page.getByTestId('read-file').click();
  await assertNoError(page, page.getByTestId('result').filter({ hasText: /\S/ }));
  return (await page.getByTestId('result').textContent()).trim();
}

/** Wait for `locator`; if the page shows an error instead, fail with the page's words. */
async function assertNoError(page, locator) {
  const error = page.getByTestId('error');
  await Promise.race([locator.first().waitFor(), error.waitFor({ state: 'visible' })]);
  if (await error.isVisible()) assert.fail(`the page says: ${await error.textContent()}`);
}

async function upload(page, name, buffer, mimeType) {
  await page.getByTestId('file-input').setInputFiles({ name, mimeType, buffer });
  await page.getByTestId('upload').click();
  await assertNoError(page, page.getByTestId('file-row').filter({ hasText: name }));
}

async function fileNames(page) {
  return page.getByTestId('file-row').locator('td:first-child').allTextContents();
}

async function control(method, path, body) {
  const headers = { 'content-type': 'application/json', 'x-local-stack-secret': fixtures.LOCAL_STACK_SECRET };
  const response = await fetch(`${CONTROL}${path}`, { method, body: body && JSON.stringify(body), headers });
  assert.equal(response.status, 200, `${method} ${path}`);
  return response.json();
}


/** The page's calls to the API (method, path under the stage, decoded, query, If-None-Match), as sent. */
function apiCalls(page) {
  const calls = [];
  const stage = new URL(CONFIG.apiUrl).pathname;
  page.on('request', (r) => {
    if (!r.url().startsWith(CONFIG.apiUrl)) return;
    const url = new URL(r.url());
    calls.push({ method: r.method(), path: decodeURIComponent(url.pathname).slice(stage.length), query: url.searchParams, ifNoneMatch: r.headers()['if-none-match'] });
  });
  return calls;
}

/** A part PUT straight to S3 (presigned): its part number, or undefined for any other request. */
const partNumberOf = (request) => {
  const url = new URL(request.url());
  return request.method() === 'PUT' && url.searchParams.has('X-Amz-Signature') && url.searchParams.has('uploadId')
    ? Number(url.searchParams.get('partNumber')) : undefined;
};

const byName = (page, testid, name) => page.locator(`[data-testid=${testid}][data-name="${name}"]`);
const progressOf = (row) => row.getByTestId('progress').evaluate((bar) => bar.value);
const stateOf = (row) => row.getAttribute('data-state');
const focusedTestId = (page) => page.evaluate(() => document.activeElement?.dataset.testid ?? document.activeElement?.tagName);

/** Wait until the transfer row of `name` reaches `state`; fail with the page's words if it fails. */
async function transferState(page, name, state) {
  const row = byName(page, 'transfer', name);
  await assertNoError(page, page.locator(`[data-testid=transfer][data-name="${name}"][data-state=${state}]`));
  return row;
}

/** The access key id a signed API request used (compared, never printed). */
const signerOf = (request) => /Credential=([^/]+)\//.exec(request.headers().authorization ?? '')?.[1];

describe('the My files page in Chromium', () => {
  for (const user of ['admin', 'user']) {
    it(`${user} signs in with SRP (the password never leaves the browser) and reads their own file; nothing is stored in the browser`, async () => {
      const opened = await openPage();
      const { context, page, log } = opened;
      const cognitoBodies = [];
      page.on('request', (r) => r.url().startsWith(CONFIG.cognitoEndpoint ?? 'https://cognito-') && cognitoBodies.push(r.postData() ?? ''));
      await signIn(page, user);
      await page.getByTestId('sign-out').waitFor();
      try {
        assert.ok(cognitoBodies.some((b) => b.includes('"USER_SRP_AUTH"')), 'signed in with SRP');
        assert.ok(!cognitoBodies.some((b) => b.includes(PASSWORDS[user])), 'the password never left the browser');
        assert.equal(await readFile(page), user);
        const stored = await page.evaluate(() => localStorage.length + sessionStorage.length + document.cookie.length);
        assert.equal(stored, 0, 'localStorage, sessionStorage and cookies stay empty');
        assert.ok(!log.some((line) => [...secretsSeen].some((s) => line.includes(s))), 'no secret in the console');
        await page.getByTestId('sign-out').click();
        await page.getByTestId('sign-in').waitFor();
        assert.equal(await page.getByTestId('result').textContent(), '');
      } finally {
        await context.close();
      }
    });
  }

  it('uploads a small and a >5 MiB file, lists them, downloads them byte-identical, deletes them', async () => {
    const { context, page } = await signedIn('admin');
    const small = { name: `small-${Date.now()}.bin`, buffer: randomBytes(100 * 1024) };
    const large = { name: `large-${Date.now()}.bin`, buffer: randomBytes(5 * 1024 * 1024 + 123_457) };
    try {
      const putThroughApi = [];
      const putToS3 = [];
      page.on('request', (r) => {
        if (r.method() !== 'PUT') return;
        if (r.url().startsWith(CONFIG.apiUrl)) putThroughApi.push(decodeURIComponent(new URL(r.url()).pathname));
        else if (new URL(r.url()).searchParams.has('X-Amz-Signature')) putToS3.push(decodeURIComponent(new URL(r.url()).pathname));
      });
      await upload(page, small.name, small.buffer, 'application/octet-stream');
      // The large file's own progress bar (each file has one), sampled every frame: the values
      // seen strictly between 0 and 1 show it moving.
      await page.evaluate((name) => {
        window.maxProgress = 0;
        window.partialProgress = 0;
        const sample = () => {
          const bar = [...document.querySelectorAll('[data-testid=transfer]')].find((row) => row.dataset.name === name)
            ?.querySelector('[data-testid=progress]');
          if (bar) {
            window.maxProgress = Math.max(window.maxProgress, bar.value);
            if (bar.value > 0 && bar.value < 1) window.partialProgress += 1;
          }
          requestAnimationFrame(sample);
        };
        sample();
      }, large.name);
      // Uploads to the local stack finish in a blink: slow the browser's uploads to 4 MiB/s so that
      // progress events have time to show (Chromium's own network throttling, as in DevTools).
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 4 * 1024 * 1024 });
      await upload(page, large.name, large.buffer, 'application/octet-stream');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      const { maxProgress, partialProgress } = await page.evaluate(() => ({ maxProgress: window.maxProgress, partialProgress: window.partialProgress }));
      assert.ok(partialProgress > 0, 'the progress bar showed values between 0 and 1');
      assert.equal(maxProgress, 1, 'and reached 1');
      assert.ok(putThroughApi.some((p) => p.endsWith(`/files/${small.name}`)), 'the small file went through PUT /files/{name}');
      assert.ok(putToS3.some((p) => p.endsWith(`/${large.name}`)), 'the large file went straight to S3 with a presigned URL');
      assert.ok(!putThroughApi.some((p) => p.endsWith(large.name)), 'the large file did not pass through the API');

      const names = await fileNames(page);
      assert.ok(names.includes(small.name) && names.includes(large.name), `listed: ${names.join(', ')}`);

      for (const file of [small, large]) {
        const row = page.getByTestId('file-row').filter({ hasText: file.name });
        const [download] = await Promise.all([page.waitForEvent('download'), row.getByTestId('download').click()]);
        const bytes = readFileSync(await download.path());
        assert.equal(bytes.length, file.buffer.length, `${file.name}: size`);
        assert.ok(bytes.equals(file.buffer), `${file.name}: the downloaded bytes are the uploaded bytes`);
      }
      for (const file of [small, large]) {
        await page.getByTestId('file-row').filter({ hasText: file.name }).getByTestId('delete').click();
        await page.getByTestId('file-row').filter({ hasText: file.name }).waitFor({ state: 'detached' });
      }
      assert.ok(!(await page.getByTestId('error').isVisible()));
    } finally {
      // A failed run must not leave files behind (the canary counts a user's keys).
      for (const name of [small.name, large.name]) {
        const row = page.getByTestId('file-row').filter({ hasText: name });
        if (await row.count()) await row.getByTestId('delete').click().catch(() => {});
      }
      await page.waitForTimeout(500);
      await context.close();
    }
  });

  it('browses folders: new folder, breadcrumbs, files picked and dropped and a whole folder uploaded with per-file progress, rename, copy, move, download under the file\'s name, folder delete; by keyboard', async () => {
    const { context, page } = await signedIn('admin');
    const calls = apiCalls(page);
    const top = `browse-${Date.now()}`;
    const file = (name) => byName(page, 'file-row', name);
    const folder = (name) => byName(page, 'folder-row', name);
    const crumbs = () => page.getByTestId('breadcrumb').allTextContents();
    const dialogInput = page.getByTestId('dialog-input');
    const dir = mkdtempSync(join(tmpdir(), 'web-folder-'));
    let removed = false;
    try {
      // A new folder, typed and submitted with the keyboard.
      await page.getByTestId('breadcrumb').first().waitFor(); // the first listing is in
      assert.deepEqual(await crumbs(), ['My files']);
      await page.getByTestId('new-folder-name').fill(top);
      await page.getByTestId('new-folder-name').press('Enter');
      await assertNoError(page, folder(top));
      assert.ok(calls.some((c) => c.method === 'PUT' && c.path === `/folders/${top}`), 'PUT /folders/{path}');
      // Opened with the keyboard: the breadcrumbs follow, and the keyboard lands on the current one.
      await folder(top).getByTestId('open-folder').focus();
      await page.keyboard.press('Enter');
      await page.waitForFunction((t) => document.querySelector('[aria-current=location]')?.textContent === t, top);
      assert.deepEqual(await crumbs(), ['My files', top]);
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-current')), 'location', 'focus is on the current folder');
      const listing = calls.findLast((c) => c.method === 'GET' && c.path === '/files');
      assert.equal(listing.query.get('prefix'), top);
      assert.equal(listing.query.get('delimiter'), '/');
      assert.equal(await page.getByTestId('file-row').count() + await page.getByTestId('folder-row').count(), 0, 'the new folder is empty');

      // Three files picked at once (the input takes several): each its own row and progress bar.
      const picked = ['a.txt', 'b.txt', 'c.txt'].map((name) => ({ name, mimeType: 'text/plain', buffer: Buffer.from(`${name} ${randomBytes(8).toString('hex')}\n`) }));
      assert.equal(await page.getByTestId('file-input').getAttribute('multiple'), '');
      await page.getByTestId('file-input').setInputFiles(picked);
      await page.getByTestId('upload').click();
      for (const f of picked) {
        const row = await transferState(page, `${top}/${f.name}`, 'done');
        assert.equal(await progressOf(row), 1, `${f.name}: its own progress bar is full`);
        await assertNoError(page, file(`${top}/${f.name}`));
        assert.ok(calls.some((c) => c.method === 'PUT' && c.path === `/files/${top}/${f.name}`), `${f.name} stored in the folder`);
      }
      assert.equal(await page.getByTestId('transfer').filter({ has: page.getByTestId('progress') }).count(), 3, 'one progress bar per file');

      // A file dropped on the page (a drop event carrying it, as the browser fires one), while the
      // keyboard is on a.txt's Rename: the listing asked again leaves it there.
      await file(`${top}/a.txt`).getByTestId('rename').focus();
      const dropped = `dropped ${randomBytes(8).toString('hex')}\n`;
      const dataTransfer = await page.evaluateHandle((text) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([text], 'dropped.txt', { type: 'text/plain' }));
        return transfer;
      }, dropped);
      await page.getByTestId('drop-zone').dispatchEvent('dragover', { dataTransfer });
      await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer });
      await transferState(page, `${top}/dropped.txt`, 'done');
      await assertNoError(page, file(`${top}/dropped.txt`));
      assert.ok(await file(`${top}/a.txt`).getByTestId('rename').evaluate((e) => e === document.activeElement),
        'the keyboard is still on a.txt\'s Rename in the new listing');

      // A whole folder (with a sub-folder) through the folder picker: its paths are kept.
      mkdirSync(join(dir, 'album', 'sub'), { recursive: true });
      writeFileSync(join(dir, 'album', 'x.txt'), 'x\n');
      writeFileSync(join(dir, 'album', 'sub', 'y.txt'), 'y\n');
      await page.getByTestId('folder-input').setInputFiles(join(dir, 'album'));
      await transferState(page, `${top}/album/x.txt`, 'done');
      await transferState(page, `${top}/album/sub/y.txt`, 'done');
      await assertNoError(page, folder(`${top}/album`));

      // Rename with the keyboard: the dialog takes the focus, Enter confirms; never over a file.
      await file(`${top}/a.txt`).getByTestId('rename').focus();
      await page.keyboard.press('Enter');
      await dialogInput.waitFor();
      assert.equal(await focusedTestId(page), 'dialog-input', 'the dialog has the keyboard');
      assert.equal(await dialogInput.inputValue(), 'a.txt');
      await page.keyboard.type('a2.txt'); // the name is selected: typing replaces it
      await page.keyboard.press('Enter');
      await assertNoError(page, file(`${top}/a2.txt`));
      await file(`${top}/a.txt`).waitFor({ state: 'detached' });
      const rename = calls.findLast((c) => c.method === 'POST' && c.path === '/moves');
      assert.equal(rename?.ifNoneMatch, '*', 'a rename never replaces a file');

      await file(`${top}/b.txt`).getByTestId('rename').click();
      await dialogInput.fill('c.txt');
      await page.getByTestId('dialog-ok').click();
      await page.getByTestId('error').waitFor({ state: 'visible' });
      assert.equal(await page.getByTestId('error').textContent(), 'A file with that name already exists.');
      assert.equal(await file(`${top}/b.txt`).count(), 1, 'b.txt is still there');

      // Escape cancels a dialog, and the keyboard goes back to the button that opened it.
      const copyOfC = file(`${top}/c.txt`).getByTestId('copy');
      await copyOfC.focus();
      await page.keyboard.press('Enter');
      await dialogInput.waitFor();
      assert.equal(await dialogInput.inputValue(), `${top}/copy of c.txt`);
      const copiesBefore = calls.filter((c) => c.path === '/copies').length;
      await page.keyboard.press('Escape');
      await dialogInput.waitFor({ state: 'hidden' });
      assert.ok(await copyOfC.evaluate((b) => b === document.activeElement), 'focus is back on Copy');
      assert.equal(calls.filter((c) => c.path === '/copies').length, copiesBefore, 'nothing copied');

      // Copy into the sub-folder, and move there.
      await copyOfC.click();
      await dialogInput.fill(`${top}/album/c-copy.txt`);
      const copied = page.waitForResponse((r) => r.url().endsWith('/copies'));
      await page.getByTestId('dialog-ok').click();
      assert.equal((await copied).status(), 201);
      await file(`${top}/a2.txt`).getByTestId('move').click();
      assert.equal(await dialogInput.inputValue(), `${top}/a2.txt`);
      await dialogInput.fill(`${top}/album/a2.txt`);
      await page.getByTestId('dialog-ok').click();
      await file(`${top}/a2.txt`).waitFor({ state: 'detached' });
      assert.equal(await file(`${top}/c.txt`).count(), 1, 'a copy leaves the original');

      await folder(`${top}/album`).getByTestId('open-folder').click();
      await page.waitForFunction(() => document.querySelector('[aria-current=location]')?.textContent === 'album');
      assert.deepEqual(await crumbs(), ['My files', top, 'album']);
      assert.deepEqual((await fileNames(page)).sort(), ['a2.txt', 'c-copy.txt', 'x.txt'], 'the copy, the moved file and the uploaded folder\'s file');
      assert.equal(await folder(`${top}/album/sub`).count(), 1, 'its sub-folder');

      // Download: signed as an attachment (download=1), saved under the file's own name.
      const s3Gets = [];
      page.on('request', (r) => r.method() === 'GET' && new URL(r.url()).searchParams.has('X-Amz-Signature') && s3Gets.push(new URL(r.url())));
      const [download] = await Promise.all([page.waitForEvent('download'), file(`${top}/album/c-copy.txt`).getByTestId('download').click()]);
      assert.equal(download.suggestedFilename(), 'c-copy.txt');
      assert.ok(readFileSync(await download.path()).equals(picked[2].buffer), 'the copy has c.txt\'s bytes');
      assert.equal(calls.findLast((c) => c.path === `/files/${top}/album/c-copy.txt`)?.query.get('download'), '1');
      assert.match(s3Gets.at(-1)?.searchParams.get('response-content-disposition') ?? '', /^attachment;.*c-copy\.txt/);

      if (process.env.WEB_SCREENSHOT) {
        assert.equal(await readFile(page), 'admin');
        await page.screenshot({ path: process.env.WEB_SCREENSHOT, fullPage: true });
      }

      // Back up with a breadcrumb, then delete the folder (confirmed in a dialog) and all in it.
      await page.getByTestId('breadcrumb').filter({ hasText: top }).click();
      await folder(`${top}/album`).waitFor();
      await folder(`${top}/album`).getByTestId('delete-folder').click();
      await page.getByTestId('dialog-ok').waitFor();
      assert.equal(await focusedTestId(page), 'dialog-ok');
      assert.ok(!(await dialogInput.isVisible()), 'a confirmation has no text field');
      await page.getByTestId('dialog-ok').click();
      await folder(`${top}/album`).waitFor({ state: 'detached' });
      assert.ok(calls.some((c) => c.method === 'DELETE' && c.path === `/folders/${top}/album`));
      assert.deepEqual((await fileNames(page)).sort(), ['b.txt', 'c.txt', 'dropped.txt']);

      // Back to the top with the first breadcrumb; the test's folder goes as it came.
      await page.getByTestId('breadcrumb').first().click();
      await folder(top).getByTestId('delete-folder').click();
      await page.getByTestId('dialog-ok').click();
      await folder(top).waitFor({ state: 'detached' });
      removed = true;
      assert.ok(!(await page.getByTestId('error').isVisible()));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      // Whatever happened, remove the test's folder (the canary counts a user's keys).
      if (!removed) try {
        await page.keyboard.press('Escape'); // an open dialog
        await page.getByTestId('breadcrumb').first().click({ timeout: 2000 }).catch(() => {});
        await folder(top).getByTestId('delete-folder').click({ timeout: 3000 });
        await page.getByTestId('dialog-ok').click();
        await folder(top).waitFor({ state: 'detached' });
      } catch { /* already gone (the test removed it), or never made */ }
      await context.close();
    }
  });

  it('a multipart upload (above the page\'s threshold) pauses, survives a reload, resumes with only the missing parts and stores the exact bytes; another is cancelled', async () => {
    const MIB = 1024 * 1024;
    // config.json's threshold, lowered for the test; the API's parts are 8 MiB: two parts.
    const config = { multipartThresholdBytes: 6 * MIB, uploadConcurrency: 2 };
    // Files from disk: the browser reads them itself (a buffer would cross Playwright's pipe, slowly).
    const dir = mkdtempSync(join(tmpdir(), 'web-multipart-'));
    const onDisk = (name, size) => {
      const buffer = randomBytes(size);
      writeFileSync(join(dir, name), buffer);
      return { name, path: join(dir, name), buffer };
    };
    const big = onDisk(`resumable-${Date.now()}.bin`, 8 * MIB + 1_500_000);
    const { context, page } = await openPage({ config });
    const calls = apiCalls(page);
    // The sign-in's GET /uploads is held until this page has begun its own upload: the listing then
    // holds that upload, which the page must not show twice.
    let begun;
    const uploadBegun = new Promise((resolve) => (begun = resolve));
    page.on('response', (r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith('/uploads') && begun());
    const unfinishedListing = (url) => url.href.startsWith(CONFIG.apiUrl) && url.pathname.endsWith('/uploads');
    await context.route(unfinishedListing, async (route) => {
      if (route.request().method() === 'GET') await uploadBegun;
      await route.continue();
    });
    const listed = page.waitForResponse((r) => r.request().method() === 'GET' && unfinishedListing(new URL(r.url())));
    await signIn(page, 'admin');
    await page.getByTestId('sign-out').waitFor();
    const parts = [];
    context.on('request', (r) => partNumberOf(r) && parts.push(partNumberOf(r)));
    // Part 2 is held on its way to S3 (it never arrives) until the page pauses.
    let held;
    const holdPartTwo = (url) => url.searchParams.get('partNumber') === '2' && url.searchParams.has('uploadId');
    await context.route(holdPartTwo, (route) => (held = route));
    try {
      const partOne = page.waitForResponse((r) => partNumberOf(r.request()) === 1);
      await page.getByTestId('file-input').setInputFiles(big.path);
      await page.getByTestId('upload').click();
      assert.equal((await partOne).status(), 200, 'part 1 reached S3');
      const row = await transferState(page, big.name, 'uploading');
      const early = (await (await listed).json()).data.uploads;
      assert.ok(early.some((u) => u.name === big.name), 'the sign-in\'s listing crossed the new upload');
      await page.waitForTimeout(200);
      assert.equal(await byName(page, 'transfer', big.name).count(), 1, 'shown once');
      await context.unroute(unfinishedListing);
      for (let i = 0; !held && i < 100; i++) await page.waitForTimeout(50);
      assert.ok(held, 'part 2 is on its way');
      assert.ok(calls.some((c) => c.method === 'POST' && c.path === '/uploads'), 'a multipart upload (POST /uploads)');
      assert.ok(!calls.some((c) => c.path === '/upload-urls' || (c.method === 'PUT' && c.path.startsWith('/files/'))), 'not a single PUT');
      await page.waitForFunction((name) => {
        const bar = document.querySelector(`[data-testid=transfer][data-name="${name}"] [data-testid=progress]`);
        return bar.value >= (8 * 1024 * 1024) / (8 * 1024 * 1024 + 1_500_000) - 1e-9;
      }, big.name);
      const partial = await progressOf(row);
      assert.ok(partial < 1, `the progress shows part 1 of 2 (${partial.toFixed(3)})`);

      // Pause with the keyboard: part 2 is abandoned, Resume takes Pause's place and the focus.
      const stopped = page.waitForEvent('requestfailed', (r) => partNumberOf(r) === 2);
      await row.getByTestId('pause').focus();
      await page.keyboard.press('Enter');
      await stopped;
      assert.equal(await stateOf(row), 'paused');
      assert.ok(await row.getByTestId('resume').isVisible() && !(await row.getByTestId('pause').isVisible()), 'Resume replaces Pause');
      assert.equal(await focusedTestId(page), 'resume', 'the focus moved to Resume');
      // Resumed in the page (Enter again): S3 has part 1, so only part 2 goes again (held again).
      const sentBeforeResume = parts.length;
      const again = page.waitForRequest((r) => partNumberOf(r) === 2);
      await page.keyboard.press('Enter');
      await again;
      assert.equal(await stateOf(row), 'uploading');
      assert.equal(await focusedTestId(page), 'pause', 'the focus moved back to Pause');
      assert.deepEqual(parts.slice(sentBeforeResume), [2], 'resumed with part 2 only');
      const stoppedAgain = page.waitForEvent('requestfailed', (r) => partNumberOf(r) === 2);
      await page.keyboard.press('Enter');
      await stoppedAgain;
      assert.equal(await stateOf(row), 'paused');
      assert.ok(!calls.some((c) => c.path.endsWith('/complete')), 'not completed');

      // A reload forgets everything (keys included); signed in again, the page finds the upload.
      await context.unroute(holdPartTwo);
      await page.reload();
      await page.getByTestId('sign-in').waitFor();
      const sentBefore = parts.length;
      const received = page.waitForResponse((r) => r.request().method() === 'GET' && /\/uploads\/[^/]+$/.test(new URL(r.url()).pathname));
      await signIn(page, 'admin');
      const restored = await transferState(page, big.name, 'paused');
      assert.match(await restored.getByTestId('transfer-status').textContent(), /choose the same file/);
      const answer = await (await received).json();
      assert.deepEqual(answer.data.parts.map((p) => p.part), [1], 'GET /uploads/{upload}: S3 has part 1');
      await page.waitForFunction((name) => document.querySelector(`[data-testid=transfer][data-name="${name}"] [data-testid=progress]`).value > 0.8, big.name);

      // Resume: the page asks for the file again and sends only what S3 does not have.
      const [chooser] = await Promise.all([page.waitForEvent('filechooser'), restored.getByTestId('resume').click()]);
      await chooser.setFiles(big.path);
      await transferState(page, big.name, 'done');
      assert.deepEqual(parts.slice(sentBefore), [2], 'after the reload only part 2 was sent');
      await assertNoError(page, byName(page, 'file-row', big.name));
      const [download] = await Promise.all([page.waitForEvent('download'), byName(page, 'file-row', big.name).getByTestId('download').click()]);
      assert.ok(readFileSync(await download.path()).equals(big.buffer), 'the stored file has exactly the bytes uploaded');

      // Another upload, cancelled while under way: S3 forgets it (DELETE /uploads/{upload}).
      const other = onDisk(`cancelled-${Date.now()}.bin`, 7 * MIB);
      let heldOther;
      const holdOther = (url) => url.pathname.endsWith(`/${other.name}`) && url.searchParams.has('uploadId');
      await context.route(holdOther, (route) => (heldOther = route));
      await page.getByTestId('file-input').setInputFiles(other.path);
      await page.getByTestId('upload').click();
      const cancelling = await transferState(page, other.name, 'uploading');
      for (let i = 0; !heldOther && i < 100; i++) await page.waitForTimeout(50);
      assert.ok(heldOther, 'its part is on its way');
      const aborted = page.waitForResponse((r) => r.request().method() === 'DELETE' && new URL(r.url()).pathname.includes('/uploads/'));
      await cancelling.getByTestId('cancel').click();
      assert.equal((await aborted).status(), 204);
      await cancelling.waitFor({ state: 'detached' });
      await context.unroute(holdOther);

      // A fresh page lists no unfinished upload of either: one completed, one cancelled.
      const fresh = await openPage({ config });
      try {
        const listed = fresh.page.waitForResponse((r) => r.request().method() === 'GET' && new URL(r.url()).pathname.endsWith('/uploads'));
        await signIn(fresh.page, 'admin');
        const names = (await (await listed).json()).data.uploads.map((u) => u.name);
        assert.ok(!names.includes(big.name) && !names.includes(other.name), 'neither is unfinished');
        await fresh.page.getByTestId('file-list').waitFor({ state: 'attached' });
        assert.equal(await byName(fresh.page, 'transfer', big.name).count() + await byName(fresh.page, 'transfer', other.name).count(), 0);
      } finally {
        await fresh.context.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      // A failed run must leave nothing behind: no unfinished upload, no file.
      for (const cancel of await page.locator('[data-testid=transfer] [data-testid=cancel]:visible').all().catch(() => [])) {
        await cancel.click().catch(() => {});
      }
      const row = byName(page, 'file-row', big.name);
      if (await row.count().catch(() => 0)) {
        await row.getByTestId('delete').click().catch(() => {});
        await row.waitFor({ state: 'detached' }).catch(() => {});
      }
      await context.close();
    }
  });

  it("user never sees admin's files", async () => {
    const a = await signedIn('admin');
    const b = await signedIn('user');
    const secret = `admin-only-${Date.now()}.txt`;
    try {
      await upload(a.page, secret, Buffer.from('for admin only\n'), 'text/plain');
      await b.page.reload(); // a fresh page, signed in again: keys in memory are gone on reload
      await signIn(b.page, 'user');
      await b.page.getByTestId('sign-out').waitFor();
      await b.page.getByTestId('file-list').waitFor({ state: 'attached' });
      assert.equal(await readFile(b.page), 'user');
      const seen = await fileNames(b.page);
      assert.ok(!seen.includes(secret), 'admin\'s file is not in user\'s list');
      assert.ok(seen.every((name) => !name.startsWith('admin-only-')), 'no admin file at all');
      assert.ok((await fileNames(a.page)).includes(secret), 'admin still sees it');
    } finally {
      await a.page.getByTestId('file-row').filter({ hasText: secret }).getByTestId('delete').click().catch(() => {});
      await a.page.getByTestId('file-row').filter({ hasText: secret }).waitFor({ state: 'detached' }).catch(() => {});
      await a.context.close();
      await b.context.close();
    }
  });

  it('admin shares a file with user by username (by keyboard); user finds it under Shared with me and downloads it byte-identical; admin revokes it and user\'s view no longer lists it; an unknown username gets a sentence', async () => {
    // user signs in first: a recipient is found only once they have signed in with this deployment.
    const b = await signedIn('user');
    const a = await signedIn('admin');
    const callsA = apiCalls(a.page);
    const callsB = apiCalls(b.page);
    const name = `shared-${Date.now()}.bin`;
    const buffer = randomBytes(50 * 1024 + 17);
    const isShares = (r, method, path = '/shares') => r.request().method() === method && r.url().startsWith(CONFIG.apiUrl)
      && decodeURIComponent(new URL(r.url()).pathname).endsWith(path);
    const mine = byName(a.page, 'my-share-row', name);
    const theirs = byName(b.page, 'shared-row', name);
    const shareWith = a.page.getByTestId('share-with');
    try {
      await upload(a.page, name, buffer, 'application/octet-stream');
      const row = byName(a.page, 'file-row', name);

      // A username nobody signed in with: the API's 404 unknown_recipient, in words.
      await row.getByTestId('share').click();
      await shareWith.fill(`nobody-${randomBytes(6).toString('hex')}`);
      const refused = a.page.waitForResponse((r) => isShares(r, 'POST'));
      await a.page.getByTestId('dialog-ok').click();
      assert.equal((await refused).status(), 404);
      await a.page.getByTestId('error').waitFor({ state: 'visible' });
      assert.equal(await a.page.getByTestId('error').textContent(), 'No user of that name has signed in here.');

      // Oneself: the API's 400, in words.
      await row.getByTestId('share').click();
      await shareWith.fill('admin');
      const own = a.page.waitForResponse((r) => isShares(r, 'POST'));
      await a.page.getByTestId('dialog-ok').click();
      assert.equal((await own).status(), 400);
      await a.page.getByTestId('error').filter({ hasText: 'not your own' }).waitFor();
      assert.equal(await a.page.getByTestId('error').textContent(), 'Share with another user\'s username (not your own; no spaces).');

      // Shared by keyboard: the dialog asks only a username and has the focus; Enter shares.
      await row.getByTestId('share').focus();
      await a.page.keyboard.press('Enter');
      await shareWith.waitFor();
      assert.equal(await focusedTestId(a.page), 'share-with', 'the username field has the keyboard');
      assert.equal(await shareWith.inputValue(), '', 'the last username is not offered again');
      assert.ok(!(await a.page.getByTestId('dialog-input').isVisible()), 'no other field');
      await a.page.keyboard.type('user');
      const sharing = a.page.waitForResponse((r) => isShares(r, 'POST'));
      await a.page.keyboard.press('Enter');
      const answer = await sharing;
      assert.equal(answer.status(), 201);
      const share = (await answer.json()).data;
      assert.deepEqual({ name: share.name, with: share.with, size: share.size }, { name, with: 'user', size: buffer.length });
      const sent = callsA.findLast((c) => c.method === 'POST' && c.path === '/shares');
      assert.ok(sent, 'POST /shares');
      await a.page.getByTestId('status').filter({ hasText: /\S/ }).waitFor();
      assert.equal(await a.page.getByTestId('status').textContent(), `"${name}" is shared with user.`);
      assert.ok(!(await a.page.getByTestId('error').isVisible()), 'the earlier error is gone');
      assert.ok(await row.getByTestId('share').evaluate((e) => e === document.activeElement), 'focus is back on Share');

      // admin's own shares, in the shares view.
      await a.page.getByTestId('shared-with-me').click();
      await assertNoError(a.page, mine);
      assert.equal(await mine.getAttribute('data-with'), 'user');
      assert.equal(await mine.getAttribute('data-id'), share.id);
      assert.equal(await a.page.getByTestId('shared-with-me').getAttribute('aria-pressed'), 'true');
      assert.ok(!(await a.page.getByTestId('file-list').isVisible()), 'the files are out of view meanwhile');
      assert.equal(await byName(a.page, 'shared-row', name).count(), 0, 'not shared with admin');

      // user opens Shared with me with the keyboard: the file, from admin, with its size.
      const listed = b.page.waitForResponse((r) => isShares(r, 'GET'));
      await b.page.getByTestId('shared-with-me').focus();
      await b.page.keyboard.press('Enter');
      assert.equal((await listed).status(), 200);
      await assertNoError(b.page, theirs);
      assert.equal(await theirs.locator('td.from').textContent(), 'admin');
      assert.equal(await theirs.locator('td.size').textContent(), '50.0 KiB');
      assert.equal(await theirs.getAttribute('data-id'), share.id);
      assert.equal(await byName(b.page, 'my-share-row', name).count(), 0, 'not among user\'s own shares');
      const [download] = await Promise.all([b.page.waitForEvent('download'), theirs.getByTestId('download').click()]);
      assert.equal(download.suggestedFilename(), name, 'saved under the file\'s name');
      const bytes = readFileSync(await download.path());
      assert.ok(bytes.equals(buffer), 'the downloaded bytes are the shared bytes');
      const asked = callsB.findLast((c) => c.method === 'GET' && c.path === `/shares/${share.id}`);
      assert.equal(asked?.query.get('download'), '1', 'GET /shares/{id}?download=1');
      const ownFiles = b.page.waitForResponse((r) => r.request().method() === 'GET' && r.url().startsWith(`${CONFIG.apiUrl}/files?`));
      await b.page.getByTestId('my-files').click();
      assert.equal((await ownFiles).status(), 200);
      await b.page.waitForFunction(() => !document.body.classList.contains('busy')); // listed and shown
      assert.ok(!(await fileNames(b.page)).includes(name), 'user\'s own files do not hold it');

      // admin revokes by keyboard; the keyboard goes to the list's heading once the row is gone.
      const revoked = a.page.waitForResponse((r) => isShares(r, 'DELETE', `/shares/${share.id}`));
      await mine.getByTestId('revoke').focus();
      await a.page.keyboard.press('Enter');
      assert.equal((await revoked).status(), 204);
      await mine.waitFor({ state: 'detached' });
      assert.equal(await a.page.getByTestId('status').textContent(), `"${name}" is no longer shared with user.`);
      assert.equal(await a.page.evaluate(() => document.activeElement?.id), 'mine-heading');

      // user's view, asked again, no longer lists it.
      await b.page.getByTestId('shared-with-me').click();
      const relisted = b.page.waitForResponse((r) => isShares(r, 'GET'));
      await b.page.getByTestId('refresh-shares').click();
      assert.equal((await relisted).status(), 200);
      await theirs.waitFor({ state: 'detached' });
      assert.ok(!(await b.page.getByTestId('error').isVisible()));
      assert.ok(!(await a.page.getByTestId('error').isVisible()));
    } finally {
      // Whatever happened, no share and no file stay behind.
      try {
        await a.page.keyboard.press('Escape'); // an open dialog
        await a.page.getByTestId('shared-with-me').click({ timeout: 2000 });
        if (await mine.count()) {
          await mine.getByTestId('revoke').click({ timeout: 2000 });
          await mine.waitFor({ state: 'detached', timeout: 3000 });
        }
        await a.page.getByTestId('my-files').click({ timeout: 2000 });
        await byName(a.page, 'file-row', name).getByTestId('delete').click({ timeout: 3000 });
        await byName(a.page, 'file-row', name).waitFor({ state: 'detached', timeout: 3000 });
      } catch { /* never uploaded, or already gone */ }
      await a.context.close();
      await b.context.close();
    }
  });

  it('a wrong password shows "Wrong username or password."', async () => {
    const { context, page } = await openPage();
    try {
      await signIn(page, 'admin', 'not-the-password-1A!');
      await page.getByTestId('error').waitFor({ state: 'visible' });
      assert.equal(await page.getByTestId('error').textContent(), 'Wrong username or password.');
      assert.ok(await page.getByTestId('sign-in').isVisible(), 'still signed out');
      assert.equal(await page.getByTestId('password').inputValue(), '', 'the password field is cleared');
    } finally {
      await context.close();
    }
  });

  it('a disabled user is told the account is disabled', async () => {
    const { context, page } = await openPage();
    await admin.send(new AdminDisableUserCommand({ UserPoolId: stack.USER_POOL_ID, Username: 'user' }));
    try {
      await signIn(page, 'user');
      await page.getByTestId('error').waitFor({ state: 'visible' });
      assert.equal(await page.getByTestId('error').textContent(), 'This account is disabled. Please contact your administrator.');
      assert.ok(await page.getByTestId('sign-in').isVisible(), 'still signed out');
    } finally {
      await admin.send(new AdminEnableUserCommand({ UserPoolId: stack.USER_POOL_ID, Username: 'user' }));
      await context.close();
    }
  });

  it('renews its token and keys before they expire, and works with the new keys', async () => {
    const { context, page } = await openPage();
    try {
      // Make the first token and keys expire 3 s after the renewal margin: the page must renew
      // both (REFRESH_TOKEN_AUTH, then GetCredentialsForIdentity) by itself, in the background.
      const soon = CONFIG.refreshMarginSeconds ?? 300;
      let shortened = 0;
      const targets = [];
      await context.route(`${CONFIG.cognitoEndpoint}/**`, async (route) => {
        const target = route.request().headers()['x-amz-target'] ?? '';
        targets.push(target.split('.').pop());
        const response = await route.fetch();
        if (shortened >= 2 || !/InitiateAuth|RespondToAuthChallenge|GetCredentialsForIdentity/.test(target)) return route.fulfill({ response });
        const body = await response.json();
        if (!body.AuthenticationResult && !body.Credentials) return route.fulfill({ response });
        if (body.AuthenticationResult) body.AuthenticationResult.ExpiresIn = soon + 3;
        if (body.Credentials) body.Credentials.Expiration = Date.now() / 1000 + soon + 3;
        shortened += 1;
        return route.fulfill({ response, json: body });
      });
      const signers = [];
      page.on('request', (r) => r.url().startsWith(CONFIG.apiUrl) && signers.push(signerOf(r)));
      await signIn(page, 'admin');
      await page.getByTestId('sign-out').waitFor();
      assert.equal(await readFile(page), 'admin');
      const firstKey = signers.at(-1);

      await page.waitForTimeout(5000);
      assert.deepEqual(targets.filter((t) => t !== 'GetId'),
        ['InitiateAuth', 'RespondToAuthChallenge', 'GetCredentialsForIdentity', 'InitiateAuth', 'GetCredentialsForIdentity'],
        'signed in (SRP), then renewed the token (refresh token) and the keys once, in the background');
      // The old keys are now expired at the stack; the page must be using the new ones.
      await control('POST', '/credentials/expire', { AccessKeyId: firstKey });
      await page.getByTestId('result').evaluate((e) => (e.textContent = ''));
      assert.equal(await readFile(page), 'admin');
      // assert.ok, not notEqual: a failure must not print the key ids as actual and expected
      assert.ok(signers.at(-1) !== firstKey, 'the call after the renewal was signed with new keys');
    } finally {
      await context.close();
    }
  });

  it('expired keys end the session with "Your session has expired"', async () => {
    const { context, page } = await signedIn('admin');
    try {
      const signers = [];
      page.on('request', (r) => r.url().startsWith(CONFIG.apiUrl) && signers.push(signerOf(r)));
      assert.equal(await readFile(page), 'admin');
      await control('POST', '/credentials/expire', { AccessKeyId: signers.at(-1) });
      await page.getByTestId('read-file').click();
      await page.getByTestId('error').waitFor({ state: 'visible' });
      assert.equal(await page.getByTestId('error').textContent(), 'Your session has expired. Please sign in again.');
      await page.getByTestId('sign-in').waitFor();
    } finally {
      await context.close();
    }
  });

  it('a network failure says so in words', async () => {
    const { context, page } = await signedIn('admin');
    try {
      await context.route(`${CONFIG.apiUrl}/**`, (route) => route.abort('internetdisconnected'));
      await page.getByTestId('read-file').click();
      await page.getByTestId('error').waitFor({ state: 'visible' });
      assert.equal(await page.getByTestId('error').textContent(), 'Cannot reach the service. Check your network connection and try again.');
      assert.ok(await page.getByTestId('sign-out').isVisible(), 'still signed in');
    } finally {
      await context.close();
    }
  });

  it('sign-out revokes the refresh token: replayed afterwards, it is refused', async () => {
    const { context, page } = await openPage();
    try {
      // The refresh token, captured from the page's own traffic (never printed).
      let refreshToken;
      page.on('response', async (r) => {
        if (cognitoTarget(r.request()) !== 'RespondToAuthChallenge') return;
        refreshToken = (await r.json().catch(() => ({}))).AuthenticationResult?.RefreshToken ?? refreshToken;
      });
      await signIn(page, 'admin');
      await page.getByTestId('sign-out').waitFor();
      assert.ok(refreshToken, 'the page received a refresh token at sign-in');
      assert.ok((await refreshWith(refreshToken)).AuthenticationResult?.IdToken, 'it renews the session before sign-out');

      const revocation = page.waitForResponse((r) => cognitoTarget(r.request()) === 'RevokeToken');
      await page.getByTestId('sign-out').click();
      await page.getByTestId('sign-in').waitFor();
      const answer = await revocation;
      assert.equal(answer.status(), 200, 'RevokeToken answered 200');
      assert.ok(JSON.parse(answer.request().postData()).Token === refreshToken, 'the page revoked the token it held');
      assert.equal(answer.request().headers().authorization, undefined, 'sent unsigned, as the SDK sends public operations');

      await assert.rejects(refreshWith(refreshToken), (e) => e.name === 'NotAuthorizedException' && e.message === 'Refresh Token has been revoked',
        'the refresh token no longer works');
      await page.waitForTimeout(200);
      const error = page.getByTestId('error');
      assert.ok(!(await error.isVisible()), `nothing to report, yet the page says: ${await error.textContent().catch(() => '')}`);
    } finally {
      await context.close();
    }
  });

  it('sign-out without the network still signs out, and says the session could not be ended', async () => {
    const { context, page } = await openPage();
    let refreshToken;
    try {
      page.on('response', async (r) => {
        if (cognitoTarget(r.request()) !== 'RespondToAuthChallenge') return;
        refreshToken = (await r.json().catch(() => ({}))).AuthenticationResult?.RefreshToken ?? refreshToken;
      });
      let attempts = 0;
      await context.route(`${CONFIG.cognitoEndpoint}/**`, (route) => {
        if (cognitoTarget(route.request()) !== 'RevokeToken') return route.continue();
        attempts += 1;
        return route.abort('internetdisconnected');
      });
      await signIn(page, 'admin');
      await page.getByTestId('sign-out').click();
      await page.getByTestId('sign-in').waitFor();
      assert.equal(await page.getByTestId('result').textContent(), '', 'the page is signed out at once');
      await page.getByTestId('error').waitFor({ state: 'visible' });
      assert.equal(await page.getByTestId('error').textContent(),
        'You are signed out on this page, but your session could not be ended at the sign-in service (it ends by itself when it expires).');
      assert.ok(attempts >= 1, 'the page tried to revoke');
      assert.ok((await refreshWith(refreshToken)).AuthenticationResult?.IdToken, 'as the page says, the session was not ended');
    } finally {
      if (refreshToken) await publicIdp.send(new RevokeTokenCommand({ ClientId: CONFIG.userPoolClientId, Token: refreshToken }));
      await context.close();
    }
  });

  it('index.html carries its Content-Security-Policy, and the browser enforces it', async () => {
    // Somewhere the policy does not list, listening, to see whether anything arrives.
    let arrived = 0;
    const outside = createServer((req, res) => {
      arrived += 1;
      res.writeHead(200, { 'access-control-allow-origin': '*' }).end('reached');
    });
    await new Promise((resolve) => outside.listen(0, '127.0.0.1', resolve));
    const outsideOrigin = `http://127.0.0.1:${outside.address().port}`;
    const { context, page, violations, headers } = await openPage({ provokes: true });
    try {
      const meta = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
      assert.ok(meta, 'a <meta http-equiv="Content-Security-Policy"> in index.html');
      const directives = Object.fromEntries(meta.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
      assert.deepEqual(directives['default-src'], ["'none'"]);
      assert.deepEqual(directives['script-src'], ["'self'"]);
      assert.ok(!/unsafe-inline|unsafe-eval|\*/.test(meta), 'no unsafe-inline, unsafe-eval or wildcard');
      // Exactly the page itself (config.json), the API and the local stack's Cognito and S3 endpoint,
      // as .local/stack.env names them (not as the page's config says).
      const expected = ["'self'", new URL(stack.API_URL).origin, new URL(stack.AWS_ENDPOINT_URL).origin];
      assert.deepEqual([...directives['connect-src']].sort(), expected.sort());
      assert.equal(headers['content-security-policy'], "frame-ancestors 'none'", 'the server adds only what a <meta> cannot carry');

      const outcome = await page.evaluate((url) => fetch(url).then(() => 'fetched', (e) => e.name), `${outsideOrigin}/probe`);
      assert.equal(outcome, 'TypeError', 'the fetch was refused');
      await page.waitForTimeout(300);
      assert.equal(arrived, 0, 'nothing reached the outside origin');
      const report = violations.find((v) => v.blockedURI.startsWith(outsideOrigin));
      assert.ok(report, 'the browser reported the violation (securitypolicyviolation)');
      assert.equal(report.effectiveDirective, 'connect-src');
      assert.equal(report.disposition, 'enforce');
      assert.equal(report.originalPolicy, meta, 'the policy in index.html refused it');

      // An origin it lists is let through (no-cors: only the policy can refuse it): it is not just closed.
      const listed = await page.evaluate((url) => fetch(url, { mode: 'no-cors' }).then(() => 'fetched', (e) => e.name), `${CONFIG.cognitoEndpoint}/`);
      assert.equal(listed, 'fetched');
    } finally {
      await context.close();
      outside.close();
    }
  });

  it('the page did everything above under its policy: no violation reported', () => {
    assert.ok(pagesWatched >= 10, 'the tests above opened their pages with the watch on');
    const provoked = cspReports.filter((r) => r.provokes);
    const unexpected = cspReports.filter((r) => !r.provokes).map((r) => r.what);
    assert.ok(provoked.length >= 1, 'the watch sees violations (the provoked one)');
    assert.deepEqual(unexpected, [], 'no violation on any other page');
  });

  it('no token or key appeared in any console line or page error of the tests above', () => {
    assert.ok(secretsSeen.size >= 10, 'the tests saw the tokens and keys they look for');
    // Raw, or percent-encoded as in a URL's query (a signed URL carries the session token).
    const forms = [...secretsSeen].flatMap((s) => [s, s.slice(0, 24), encodeURIComponent(s).slice(0, 24)]);
    const leaks = allLogs.filter((line) => forms.some((f) => line.includes(f)));
    assert.equal(leaks.length, 0, `${leaks.length} console lines hold a token or key`);
  });
});
