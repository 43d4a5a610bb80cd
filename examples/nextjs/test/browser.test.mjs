// The Next.js + Auth.js app in a real browser (headless Chromium through playwright-core): sign-in
// through the local stack's managed login, the server calling the API through the local API
// gateway and the function under `cargo lambda watch`. tests/nextjs.sh starts what it needs and
// sets the environment; run it through `make test` or `bash tests/nextjs.sh`.
//
// Never printed: ID and refresh tokens, keys, session tokens, presigned URLs, codes, passwords.
// Assertions compare them inside the test and report only booleans and names.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { AwsClient } from 'aws4fetch';
import { decode, encode } from 'next-auth/jwt';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through tests/nextjs.sh`);
  return value;
};
const APP = env('NEXTJS_URL');
const CHROME = env('CHROME_PATH');
const SECRET = env('NEXTAUTH_SECRET'); // the app's: the test reads (and forges) its cookies
const MARGIN = Number(env('TOKEN_REFRESH_MARGIN_SECONDS'));
const readEnv = (path) => Object.fromEntries(readFileSync(path, 'utf8').split('\n')
  .filter((l) => l.includes('=') && !l.startsWith('#')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
const stack = readEnv(env('STACK_ENV'));
const fixtures = readEnv(env('FIXTURES_ENV'));
const PASSWORDS = { admin: fixtures.ADMIN_PASSWORD, user: fixtures.USER_PASSWORD };
const CONTROL = `http://127.0.0.1:${fixtures.LOCAL_STACK_PORT}/moto-ext`;
const LOGIN = stack.MANAGED_LOGIN_URL;
const S3 = stack.AWS_ENDPOINT_URL;
const SESSION_COOKIE = 'next-auth.session-token';
const PKCE_COOKIE = 'next-auth.pkce.code_verifier';

const aws = (service) => new AwsClient({
  accessKeyId: fixtures.FIXTURE_AWS_ACCESS_KEY_ID, secretAccessKey: fixtures.FIXTURE_AWS_SECRET_ACCESS_KEY, service, region: stack.AWS_REGION, retries: 0,
});
async function idp(operation, body) {
  const response = await aws('cognito-idp').fetch(S3, {
    method: 'POST', body: JSON.stringify(body),
    headers: { 'x-amz-target': `AWSCognitoIdentityProviderService.${operation}`, 'content-type': 'application/x-amz-json-1.1' },
  });
  assert.equal(response.status, 200, operation);
  return response.json();
}
async function control(path) {
  const response = await fetch(`${CONTROL}${path}`, { headers: { 'x-local-stack-secret': fixtures.LOCAL_STACK_SECRET } });
  assert.equal(response.status, 200, path);
  return response.json();
}
const loginCount = async (key) => (await control('/managed-login'))[key] ?? 0;

let browser;
const secretsSeen = new Set(); // every token and key the test learned, to check nothing leaks
const allLogs = []; // every console line and page error of every test
const appBodies = []; // every text body the app's server sent to the browser
let restoreOrigin = async () => {};

/** The app's origin, registered on the stack when the test serves it elsewhere than provisioned:
 *  the app client's callback and sign-out URLs and the bucket's CORS origins (restored after). */
async function registerOrigin() {
  const provisioned = new URL(stack.WEB_SERVER_CALLBACK_URL).origin;
  if (provisioned === APP) return;
  const { UserPoolClient: client } = await idp('DescribeUserPoolClient', { UserPoolId: stack.USER_POOL_ID, ClientId: stack.WEB_SERVER_CLIENT_ID });
  const urls = (extra) => ({
    UserPoolId: stack.USER_POOL_ID, ClientId: stack.WEB_SERVER_CLIENT_ID,
    CallbackURLs: [...client.CallbackURLs, ...extra.map((o) => `${o}/api/auth/callback/cognito`)],
    LogoutURLs: [...client.LogoutURLs, ...extra.map((o) => `${o}/`)],
  });
  await idp('UpdateUserPoolClient', urls([APP]));
  const rule = JSON.parse(readFileSync(new URL('../../../infra/api/bucket-cors.json', import.meta.url), 'utf8'));
  const api = JSON.parse(readFileSync(new URL('../../../infra/api/api.json', import.meta.url), 'utf8'));
  const putCors = async (origins) => {
    const xml = `<CORSConfiguration><CORSRule>${origins.map((o) => `<AllowedOrigin>${o}</AllowedOrigin>`).join('')}`
      + `${rule.allowedMethods.map((m) => `<AllowedMethod>${m}</AllowedMethod>`).join('')}`
      + `${rule.allowedHeaders.map((h) => `<AllowedHeader>${h}</AllowedHeader>`).join('')}`
      + `${rule.exposedHeaders.map((h) => `<ExposeHeader>${h}</ExposeHeader>`).join('')}`
      + `<MaxAgeSeconds>${rule.maxAgeSeconds}</MaxAgeSeconds></CORSRule></CORSConfiguration>`;
    const response = await aws('s3').fetch(`${S3}/${stack.S3_BUCKET}?cors`, {
      method: 'PUT', body: xml, headers: { 'content-md5': createHash('md5').update(xml).digest('base64') },
    });
    assert.equal(response.status, 200, 'PutBucketCors');
  };
  const origins = [api.cors.allowOrigins[0], provisioned];
  await putCors([...origins, APP]);
  restoreOrigin = async () => {
    await idp('UpdateUserPoolClient', urls([]));
    await putCors(origins);
  };
}

before(async () => {
  await registerOrigin();
  browser = await chromium.launch({
    executablePath: CHROME,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await browser?.close();
  await restoreOrigin();
});

/** A fresh browser context with the app open, signed out. */
async function openApp() {
  const context = await browser.newContext({ acceptDownloads: true });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const log = [];
  page.on('console', (m) => {
    log.push(m.text());
    allLogs.push(m.text());
  });
  page.on('pageerror', (e) => allLogs.push(String(e)));
  page.on('response', async (response) => {
    if (!response.url().startsWith(APP)) return;
    const type = response.headers()['content-type'] ?? '';
    if (/json|text|javascript/.test(type)) appBodies.push(await response.text().catch(() => ''));
  });
  await page.goto(`${APP}/`);
  await page.getByTestId('sign-in').waitFor();
  return { context, page, log };
}

/** Click "Sign in"; at the managed login's page, type the credentials and submit its one form. */
async function signIn(page, user, password = PASSWORDS[user]) {
  await page.getByTestId('sign-in').click();
  await page.waitForURL(`${LOGIN}/login?**`);
  await page.locator('input[name=username]').fill(user);
  await page.locator('input[name=password]').fill(password);
  await page.locator('form button[type=submit]').click();
}

async function signedIn(user) {
  const opened = await openApp();
  await signIn(opened.page, user);
  await opened.page.getByTestId('sign-out').waitFor();
  await rememberSessionSecrets(opened.context);
  return opened;
}

/** The session cookie's value (Auth.js splits a large one into .0, .1, ...). */
async function sessionCookie(context) {
  const cookies = (await context.cookies(APP)).filter((c) => c.name === SESSION_COOKIE || c.name.startsWith(`${SESSION_COOKIE}.`));
  return cookies.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true })).map((c) => c.value).join('');
}

/** The tokens inside the session cookie (decrypted with the app's secret), remembered as secrets. */
async function rememberSessionSecrets(context) {
  const token = await decode({ token: await sessionCookie(context), secret: SECRET });
  assert.ok(token?.idToken && token.refreshToken, 'the session cookie holds the tokens (encrypted)');
  secretsSeen.add(token.idToken);
  secretsSeen.add(token.refreshToken);
  return token;
}

/** A presigned URL's session token and access key id (the server's keys for the user). */
function rememberPresigned(url) {
  const query = new URL(url).searchParams;
  secretsSeen.add(query.get('X-Amz-Security-Token'));
  secretsSeen.add(query.get('X-Amz-Credential').split('/')[0]);
}

async function readFile(page) {
  await page.getByTestId('result').evaluate((e) => (e.textContent = ''));
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

const fileNames = (page) => page.getByTestId('file-row').locator('td:first-child').allTextContents();

/** Wait until the session's ID token is due for renewal (TOKEN_REFRESH_MARGIN_SECONDS). */
async function waitUntilDue(context) {
  const { expiresAt } = await decode({ token: await sessionCookie(context), secret: SECRET });
  const due = (expiresAt - MARGIN) * 1000 + 500;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
}

describe('the Next.js + Auth.js app in Chromium', () => {
  for (const user of ['admin', 'user']) {
    it(`${user} signs in through the managed login (code + PKCE + state + nonce) and reads their own file; the browser holds no token`, async () => {
      const { context, page, log } = await openApp();
      const authorize = [];
      page.on('request', (r) => r.url().startsWith(`${LOGIN}/oauth2/authorize`) && authorize.push(new URL(r.url()).searchParams));
      try {
        await signIn(page, user);
        await page.getByTestId('sign-out').waitFor();
        assert.equal(authorize.length, 1, 'one authorization request');
        const params = authorize[0];
        assert.equal(params.get('response_type'), 'code');
        assert.equal(params.get('code_challenge_method'), 'S256');
        assert.ok(params.get('code_challenge') && params.get('state') && params.get('nonce'), 'PKCE, state and nonce');
        assert.equal(await readFile(page), user);

        const token = await rememberSessionSecrets(context);
        assert.equal(token.name, user);
        const cookies = await context.cookies(APP);
        assert.ok(cookies.filter((c) => c.name.startsWith('next-auth.')).every((c) => c.httpOnly), 'every auth cookie is httpOnly');
        const stored = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie }));
        assert.deepEqual(stored, { local: 0, session: 0, cookie: '' }, 'localStorage, sessionStorage and JavaScript-readable cookies are empty');
        const session = await page.evaluate(() => fetch('/api/auth/session').then((r) => r.json()));
        assert.deepEqual(Object.keys(session).sort(), ['expires', 'user']);
        assert.deepEqual(session.user, { name: user }, 'the browser learns the username, nothing else');
        assert.ok(!log.some((line) => [...secretsSeen].some((s) => line.includes(s))), 'no token in the console');
      } finally {
        await context.close();
      }
    });
  }

  it('uploads a small and a >5 MiB file (the large one straight to S3, with progress), lists, downloads byte-identical, deletes', async () => {
    const { context, page } = await signedIn('admin');
    const small = { name: `small-${Date.now()}.bin`, buffer: randomBytes(100 * 1024) };
    const large = { name: `large-${Date.now()}.bin`, buffer: randomBytes(5 * 1024 * 1024 + 123_457) };
    try {
      const puts = [];
      page.on('request', (r) => r.method() === 'PUT' && puts.push(new URL(r.url())));
      page.on('response', async (r) => {
        if (/\/api\/(upload-urls|files\/)/.test(r.url()) && r.request().method() !== 'DELETE' && r.ok()) {
          const body = await r.json().catch(() => null);
          if (body?.url) rememberPresigned(body.url);
        }
      });
      await upload(page, small.name, small.buffer, 'application/octet-stream');
      await page.evaluate(() => {
        window.maxProgress = 0;
        const sample = () => {
          const bar = document.querySelector('[data-testid=progress]');
          if (bar) window.maxProgress = Math.max(window.maxProgress, bar.value);
          requestAnimationFrame(sample);
        };
        sample();
      });
      // Slow the browser's uploads to 4 MiB/s so that progress events have time to show.
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 4 * 1024 * 1024 });
      await upload(page, large.name, large.buffer, 'application/octet-stream');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      const maxProgress = await page.evaluate(() => window.maxProgress);
      assert.ok(maxProgress > 0 && maxProgress <= 1, `the progress bar moved (highest value seen: ${maxProgress})`);
      const through = (url) => url.origin === APP;
      assert.ok(puts.some((u) => through(u) && decodeURIComponent(u.pathname) === `/api/files/${small.name}`), 'the small file went through the app');
      assert.ok(puts.some((u) => u.origin === new URL(S3).origin && u.searchParams.has('X-Amz-Signature') && u.pathname.endsWith(`/${large.name}`)),
        'the large file went straight to S3 with a presigned URL');
      assert.ok(!puts.some((u) => through(u) && u.pathname.endsWith(large.name)), 'the large file did not pass through the app');
      const refused = await page.evaluate(async () => {
        const response = await fetch('/api/files/too-large.bin', { method: 'PUT', body: new Uint8Array(4 * 1024 * 1024 + 1) });
        return { status: response.status, body: await response.json() };
      });
      assert.deepEqual(refused, { status: 413, body: { error: 'That file is too large.' } }, 'the app reads no body above the API\'s limit');

      const names = await fileNames(page);
      assert.ok(names.includes(small.name) && names.includes(large.name), `listed: ${names.join(', ')}`);
      if (process.env.NEXTJS_SCREENSHOT) {
        assert.equal(await readFile(page), 'admin');
        await page.screenshot({ path: process.env.NEXTJS_SCREENSHOT, fullPage: true });
      }
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
      for (const name of [small.name, large.name]) {
        const row = page.getByTestId('file-row').filter({ hasText: name });
        if (await row.count()) await row.getByTestId('delete').click().catch(() => {});
      }
      await page.waitForTimeout(500);
      await context.close();
    }
  });

  it("user never sees admin's files", async () => {
    const a = await signedIn('admin');
    const b = await signedIn('user');
    const secret = `admin-only-${Date.now()}.txt`;
    try {
      await upload(a.page, secret, Buffer.from('for admin only\n'), 'text/plain');
      await b.page.reload();
      await b.page.getByTestId('file-list').waitFor({ state: 'attached' });
      assert.equal(await readFile(b.page), 'user');
      const seen = await fileNames(b.page);
      assert.ok(!seen.includes(secret), "admin's file is not in user's list");
      assert.ok(seen.every((name) => !name.startsWith('admin-only-')), 'no admin file at all');
      assert.ok((await fileNames(a.page)).includes(secret), 'admin still sees it');
    } finally {
      await a.page.getByTestId('file-row').filter({ hasText: secret }).getByTestId('delete').click().catch(() => {});
      await a.page.getByTestId('file-row').filter({ hasText: secret }).waitFor({ state: 'detached' }).catch(() => {});
      await a.context.close();
      await b.context.close();
    }
  });

  it('a wrong password: the managed login says "Incorrect username or password." and does not let the user in', async () => {
    const { context, page } = await openApp();
    try {
      await signIn(page, 'admin', 'Not-the-password-1A!');
      await page.locator('#loginErrorMessage').waitFor();
      assert.equal(await page.locator('#loginErrorMessage').textContent(), 'Incorrect username or password.');
      assert.ok(page.url().startsWith(`${LOGIN}/login`), 'still at the sign-in page');
      assert.equal(await page.locator('input[name=password]').inputValue(), '', 'the password field is empty');
      assert.equal(await sessionCookie(context), '', 'no session');
    } finally {
      await context.close();
    }
  });

  it('a disabled user: "User is disabled."', async () => {
    const { context, page } = await openApp();
    await idp('AdminDisableUser', { UserPoolId: stack.USER_POOL_ID, Username: 'user' });
    try {
      await signIn(page, 'user');
      await page.locator('#loginErrorMessage').waitFor();
      assert.equal(await page.locator('#loginErrorMessage').textContent(), 'User is disabled.');
      assert.equal(await sessionCookie(context), '', 'no session');
    } finally {
      await idp('AdminEnableUser', { UserPoolId: stack.USER_POOL_ID, Username: 'user' });
      await context.close();
    }
  });

  it('a redirect_uri that is not registered: the managed login stops at its error page (redirect_mismatch)', async () => {
    const { context, page } = await openApp();
    const returned = [];
    page.on('request', (r) => r.url().includes('/api/auth/callback/') && returned.push(r.url()));
    try {
      // As if the app were configured with another callback URL than the one registered.
      await context.route(`${LOGIN}/oauth2/authorize?**`, (route) => {
        const url = new URL(route.request().url());
        url.searchParams.set('redirect_uri', `${APP}/api/auth/callback/elsewhere`);
        return route.continue({ url: url.href });
      });
      await page.getByTestId('sign-in').click();
      await page.waitForURL(`${LOGIN}/error?**`);
      assert.equal(await page.locator('#errorMessage').textContent(), 'redirect_mismatch');
      assert.equal(returned.length, 0, 'the browser was never sent back to the app');
    } finally {
      await context.close();
    }
  });

  it('a replayed authorization code is refused (invalid_grant): "Signing in did not complete."', async () => {
    const { context, page } = await openApp();
    let callback;
    let checkCookies;
    page.on('request', (r) => r.url().startsWith(`${APP}/api/auth/callback/cognito?`) && (callback ??= r.url()));
    // The app's state, nonce and PKCE cookies as they are when the user submits the sign-in form.
    await context.route(`${LOGIN}/login?**`, async (route) => {
      if (route.request().method() === 'POST') checkCookies = await context.cookies(APP);
      return route.continue();
    });
    try {
      await signIn(page, 'admin');
      await page.getByTestId('sign-out').waitFor();
      const refused = await loginCount('error:token:invalid_grant');
      // A second browser replays the same callback, with the same state, nonce and PKCE cookies.
      const replay = await browser.newContext();
      try {
        await replay.addCookies(checkCookies);
        const other = await replay.newPage();
        await other.goto(callback);
        await other.getByTestId('error').waitFor();
        assert.equal(await other.getByTestId('error').textContent(), 'Signing in did not complete. Please sign in again.');
        assert.ok(await other.getByTestId('sign-in').isVisible(), 'signed out');
        assert.equal(await loginCount('error:token:invalid_grant'), refused + 1, 'Cognito refused the used code: invalid_grant');
        assert.equal(await sessionCookie(replay), '', 'no session from a replayed code');
      } finally {
        await replay.close();
      }
    } finally {
      await context.close();
    }
  });

  it('a wrong PKCE verifier is refused (invalid_grant): "Signing in did not complete."', async () => {
    const { context, page } = await openApp();
    // When the user submits the sign-in form, the verifier the app will send with the code is
    // replaced by another one (encrypted as Auth.js encrypts it).
    await context.route(`${LOGIN}/login?**`, async (route) => {
      if (route.request().method() === 'POST') {
        const wrong = await encode({ token: { value: randomBytes(48).toString('base64url'), provider: 'cognito' }, secret: SECRET, maxAge: 900, salt: PKCE_COOKIE });
        const [original] = (await context.cookies(APP)).filter((c) => c.name === PKCE_COOKIE);
        assert.ok(original, 'the app set a PKCE cookie');
        await context.addCookies([{ ...original, value: wrong }]);
      }
      return route.continue();
    });
    try {
      const refused = await loginCount('error:token:invalid_grant');
      await signIn(page, 'admin');
      await page.getByTestId('error').waitFor();
      assert.equal(await page.getByTestId('error').textContent(), 'Signing in did not complete. Please sign in again.');
      assert.equal(await loginCount('error:token:invalid_grant'), refused + 1, 'Cognito refused the verifier: invalid_grant');
      assert.equal(await sessionCookie(context), '', 'no session');
    } finally {
      await context.close();
    }
  });

  it('the session survives the ID token\'s expiry: the server renews it with the refresh token, and keeps working', async () => {
    const { context, page } = await signedIn('admin');
    try {
      assert.equal(await readFile(page), 'admin');
      const before = await rememberSessionSecrets(context);
      const refreshes = await loginCount('token:refresh_token');
      await waitUntilDue(context);
      assert.equal(await readFile(page), 'admin', 'read with a renewed ID token');
      assert.equal(await loginCount('token:refresh_token'), refreshes + 1, 'one refresh at Cognito');
      const after = await rememberSessionSecrets(context);
      assert.ok(after.idToken !== before.idToken, 'the session cookie holds a new ID token');
      assert.ok(after.expiresAt > before.expiresAt, 'that expires later');
      assert.ok(after.refreshToken === before.refreshToken, 'the same refresh token (no rotation)');
    } finally {
      await context.close();
    }
  });

  it('sign-out ends the session at Cognito too: the next sign-in asks for the password, and the old cookie cannot refresh', async () => {
    const { context, page } = await signedIn('admin');
    try {
      const oldCookies = (await context.cookies(APP)).filter((c) => c.name.startsWith(SESSION_COOKIE));
      const revoked = await loginCount('revoke');
      await page.getByTestId('sign-out').click();
      await page.waitForURL(`${APP}/`);
      await page.getByTestId('sign-in').waitFor();
      assert.equal(await loginCount('revoke'), revoked + 1, 'the refresh token was revoked at Cognito');
      assert.equal(await sessionCookie(context), '', 'the session cookie is gone');
      // The managed login's own session ended too (/logout): signing in asks for the password again.
      await page.getByTestId('sign-in').click();
      await page.waitForURL(`${LOGIN}/login?**`);
      assert.ok(await page.locator('input[name=password]').isVisible(), 'the sign-in form, not a silent sign-in');

      // Someone who kept the old (encrypted) cookie: once the ID token is due, the refresh fails.
      await context.addCookies(oldCookies);
      await page.goto(`${APP}/`);
      await page.getByTestId('sign-out').waitFor();
      await waitUntilDue(context);
      await page.getByTestId('read-file').click();
      await page.getByTestId('error').waitFor();
      assert.equal(await page.getByTestId('error').textContent(), 'Your session has expired. Please sign in again.');
      await page.getByTestId('sign-in').waitFor();
    } finally {
      await context.close();
    }
  });

  it('no token or key appeared in a console line, a page error, or a page of the app', () => {
    assert.ok(secretsSeen.size >= 10, `the tests saw the tokens and keys they look for (${secretsSeen.size})`);
    const forms = [...secretsSeen].flatMap((s) => [s, s.slice(0, 24), encodeURIComponent(s).slice(0, 24)]);
    const leaks = allLogs.filter((line) => forms.some((f) => line.includes(f)));
    assert.equal(leaks.length, 0, `${leaks.length} console lines hold a token or key`);
    const tokens = [...secretsSeen].filter((s) => s.startsWith('eyJ') || /^[0-9a-f-]{36}$/.test(s)); // ID and refresh tokens
    const inBodies = appBodies.filter((body) => tokens.some((t) => body.includes(t)));
    assert.equal(inBodies.length, 0, `${inBodies.length} answers of the app hold an ID or refresh token`);
    assert.ok(!appBodies.some((body) => /secretAccessKey|SecretKey|"sessionToken"/i.test(body)), 'no AWS secret key field in any answer');
  });
});
