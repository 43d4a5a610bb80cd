// The page in a real browser (headless Chromium through playwright-core), against the local
// stack, its API gateway and the function under `cargo lambda watch`. tests/web.sh starts what it
// needs and sets the environment; run it through `make test` or `bash tests/web.sh`.
//
// Never printed: ID tokens, keys, session tokens, presigned URLs. Assertions compare them inside
// the test and report only booleans and names.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
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
async function openPage({ provokes = false } = {}) {
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

async function signedIn(user) {
  const opened = await openPage();
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
      // The progress bar's highest value during the large upload, sampled every frame.
      await page.evaluate(() => {
        const bar = document.querySelector('[data-testid=progress]');
        window.maxProgress = 0;
        const sample = () => {
          if (!bar.hidden) window.maxProgress = Math.max(window.maxProgress, bar.value);
          requestAnimationFrame(sample);
        };
        sample();
      });
      // Uploads to the local stack finish in a blink: slow the browser's uploads to 4 MiB/s so that
      // progress events have time to show (Chromium's own network throttling, as in DevTools).
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 4 * 1024 * 1024 });
      await upload(page, large.name, large.buffer, 'application/octet-stream');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      const maxProgress = await page.evaluate(() => window.maxProgress);
      assert.ok(maxProgress > 0 && maxProgress <= 1, `the progress bar moved (highest value seen: ${maxProgress})`);
      assert.ok(putThroughApi.some((p) => p.endsWith(`/files/${small.name}`)), 'the small file went through PUT /files/{name}');
      assert.ok(putToS3.some((p) => p.endsWith(`/${large.name}`)), 'the large file went straight to S3 with a presigned URL');
      assert.ok(!putThroughApi.some((p) => p.endsWith(large.name)), 'the large file did not pass through the API');

      const names = await fileNames(page);
      assert.ok(names.includes(small.name) && names.includes(large.name), `listed: ${names.join(', ')}`);
      if (process.env.WEB_SCREENSHOT) {
        assert.equal(await readFile(page), 'admin');
        await page.screenshot({ path: process.env.WEB_SCREENSHOT, fullPage: true });
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
      // A failed run must not leave files behind (the canary counts a user's keys).
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
      assert.ok(!(await page.getByTestId('error').isVisible()), 'nothing to report');
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
