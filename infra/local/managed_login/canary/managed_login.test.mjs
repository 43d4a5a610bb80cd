// The canary of the local stack's managed login (infra/local/managed_login), driven by a client
// library the server does not use: panva's openid-client (discovery, PKCE, state, nonce, ID token
// validation against the pool's JWKS, refresh, userInfo, revocation), plus plain fetch for what
// no OIDC library does (the sign-in form, the refusals a library would not even send).
// Needs the running stack (`make local-up`); fails loudly without it, never skips.
// Never printed: tokens, codes, secrets, passwords (assertions compare them and report names).
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AwsClient } from 'aws4fetch';
import * as oidc from 'openid-client';

const STATE = fileURLToPath(new URL('../../../../.local/', import.meta.url));
function readEnv(name) {
  let text;
  try {
    text = readFileSync(STATE + name, 'utf8');
  } catch {
    throw new Error(`.local/${name} is missing: the local stack is not up (make local-up)`);
  }
  return Object.fromEntries(text.split('\n').filter((l) => l.includes('=') && !l.startsWith('#'))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}
const ENV = readEnv('stack.env');
const FIXTURES = readEnv('fixtures.env');
for (const key of ['OIDC_DISCOVERY_URL', 'MANAGED_LOGIN_URL', 'WEB_SERVER_CLIENT_ID', 'WEB_SERVER_CLIENT_SECRET', 'WEB_SERVER_CALLBACK_URL']) {
  assert.ok(ENV[key], `.local/stack.env has no ${key}: restart the stack (make local-down local-up)`);
}
const REGION = ENV.AWS_REGION;
const POOL = ENV.USER_POOL_ID;
const AWS_ISSUER = `https://cognito-idp.${REGION}.amazonaws.com/${POOL}`;
const LOGIN = ENV.MANAGED_LOGIN_URL;
const CALLBACK = ENV.WEB_SERVER_CALLBACK_URL;
const SERVER_CLIENT = { id: ENV.WEB_SERVER_CLIENT_ID, secret: ENV.WEB_SERVER_CLIENT_SECRET };
const PASSWORD = { admin: FIXTURES.ADMIN_PASSWORD, user: FIXTURES.USER_PASSWORD };
const CONTROL = `http://127.0.0.1:${FIXTURES.LOCAL_STACK_PORT}/moto-ext`;

// The only local override a client needs: Cognito's own https URLs, sent to the stack instead.
const localFetch = (url, options) => fetch(String(url).replace(`https://cognito-idp.${REGION}.amazonaws.com`, ENV.AWS_ENDPOINT_URL), options);
const LOCAL = { [oidc.customFetch]: localFetch, execute: [oidc.allowInsecureRequests] };

// ------------------------------------------------------------------ AWS API calls (the fixture principal)
const aws = new AwsClient({
  accessKeyId: FIXTURES.FIXTURE_AWS_ACCESS_KEY_ID, secretAccessKey: FIXTURES.FIXTURE_AWS_SECRET_ACCESS_KEY,
  service: 'cognito-idp', region: REGION, retries: 0,
});
async function idp(operation, body, { signed = true } = {}) {
  const init = {
    method: 'POST', body: JSON.stringify(body),
    headers: { 'x-amz-target': `AWSCognitoIdentityProviderService.${operation}`, 'content-type': 'application/x-amz-json-1.1' },
  };
  const response = signed ? await aws.fetch(ENV.AWS_ENDPOINT_URL, init) : await fetch(ENV.AWS_ENDPOINT_URL, init);
  const json = await response.json().catch(() => ({}));
  return { status: response.status, json, type: json.__type?.split('#').pop() };
}
async function identity(operation, body) {
  const response = await fetch(ENV.AWS_ENDPOINT_URL, {
    method: 'POST', body: JSON.stringify(body),
    headers: { 'x-amz-target': `AWSCognitoIdentityService.${operation}`, 'content-type': 'application/x-amz-json-1.1' },
  });
  return { status: response.status, json: await response.json() };
}
async function control(method, path) {
  const response = await fetch(`${CONTROL}${path}`, { method, headers: { 'x-local-stack-secret': FIXTURES.LOCAL_STACK_SECRET } });
  assert.equal(response.status, 200, `${method} ${path}`);
  return response.json();
}

const secretHash = (secret, clientId, username) => createHmac('sha256', secret).update(username + clientId).digest('base64');
const claims = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url'));
const unique = (label) => `${label}-${randomBytes(4).toString('hex')}`;

/** A user of this run (deleted at the end), with a permanent password. */
async function newUser(label) {
  const username = unique(label);
  const password = `Pw-${randomBytes(6).toString('hex')}-9a!`;
  assert.equal((await idp('AdminCreateUser', { UserPoolId: POOL, Username: username, MessageAction: 'SUPPRESS' })).status, 200);
  assert.equal((await idp('AdminSetUserPassword', { UserPoolId: POOL, Username: username, Password: password, Permanent: true })).status, 200);
  created.users.push(username);
  return { username, password };
}

/** An app client of this run (deleted at the end). */
async function newClient(settings) {
  const { status, json } = await idp('CreateUserPoolClient', {
    UserPoolId: POOL, ClientName: unique('canary'), AllowedOAuthFlowsUserPoolClient: true,
    SupportedIdentityProviders: ['COGNITO'], CallbackURLs: ['http://localhost:4999/cb'], LogoutURLs: ['http://localhost:4999/'],
    AllowedOAuthScopes: ['openid', 'email', 'profile'], AllowedOAuthFlows: ['code'], ...settings,
  });
  assert.equal(status, 200, 'CreateUserPoolClient');
  created.clients.push(json.UserPoolClient.ClientId);
  return { id: json.UserPoolClient.ClientId, secret: json.UserPoolClient.ClientSecret, callback: json.UserPoolClient.CallbackURLs[0] };
}
const created = { users: [], clients: [] };

// ------------------------------------------------------------------ a browser, for the managed-login pages
/** Cookies per host, manual redirects: what a browser does between the client and the domain. */
class Browser {
  jar = new Map();

  async get(url, init = {}) {
    const target = new URL(url);
    const cookies = [...(this.jar.get(target.host) ?? new Map())].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(target, { ...init, redirect: 'manual', headers: { ...(init.headers ?? {}), ...(cookies ? { cookie: cookies } : {}) } });
    const jar = this.jar.get(target.host) ?? new Map();
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      const expired = attributes.some((a) => /max-age=0\b/i.test(a.trim()) || /expires=thu, 01 jan 1970/i.test(a.trim()));
      if (expired || !value) jar.delete(name);
      else jar.set(name, value);
    }
    this.jar.set(target.host, jar);
    const location = response.headers.get('location');
    return { response, status: response.status, location: location && new URL(location, target).href, text: await response.text() };
  }

  /** Open `authorizeUrl`; when the domain shows its sign-in page, fill it in and submit it.
   *  Returns the last answer: the redirect back to the client, or a page. */
  async signIn(authorizeUrl, username, password) {
    let page = await this.get(authorizeUrl);
    if (page.status === 302 && page.location.startsWith(`${LOGIN}/login`)) page = await this.get(page.location);
    if (page.status !== 200 || username === undefined) return page;
    const form = signInForm(page.text);
    const body = new URLSearchParams({ ...form.hidden, username, password });
    return this.get(new URL(form.action, LOGIN), { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }
}

/** The sign-in form as Cognito's: fields `username` and `password`, hidden `_csrf`, one submit button. */
function signInForm(html) {
  const forms = html.match(/<form\b[\s\S]*?<\/form>/g) ?? [];
  assert.equal(forms.length, 1, 'one form');
  const form = forms[0];
  const names = [...form.matchAll(/<input\b[^>]*\bname="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(names.sort(), ['_csrf', 'password', 'username'], 'the form has Cognito\'s field names');
  assert.equal((form.match(/<button\b[^>]*type="submit"/g) ?? []).length, 1, 'one submit button');
  const hidden = Object.fromEntries([...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const action = /<form\b[^>]*action="([^"]+)"/.exec(form)[1].replaceAll('&amp;', '&');
  return { action, hidden };
}
const ENTITIES = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
const pageMessage = (html) => /role="alert">([^<]*)</.exec(html)?.[1]?.replace(/&(amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e]);

// ------------------------------------------------------------------ openid-client configurations
async function configFor(client, auth) {
  const metadata = client.secret ? { client_secret: client.secret } : { token_endpoint_auth_method: 'none' };
  return oidc.discovery(new URL(AWS_ISSUER), client.id, metadata, auth, LOCAL);
}
/** Cognito serves /oauth2/revoke but does not list it in discovery: the client is told where it is. */
function withRevocation(config, client, auth) {
  const revocable = new oidc.Configuration({ ...config.serverMetadata(), revocation_endpoint: `${LOGIN}/oauth2/revoke` },
    client.id, client.secret ? { client_secret: client.secret } : { token_endpoint_auth_method: 'none' }, auth);
  revocable[oidc.customFetch] = localFetch;
  oidc.allowInsecureRequests(revocable);
  return revocable;
}

/** A full sign-in through the managed login: code + PKCE S256 + state + nonce; the token set. */
async function codeFlow(config, { user = 'admin', password = PASSWORD[user], scope = 'openid email profile', redirectUri = CALLBACK, browser = new Browser() } = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope, state, nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const back = await browser.signIn(url, user, password);
  assert.equal(back.status, 302, `signed in as ${user} (the page says: ${pageMessage(back.text) ?? '-'})`);
  assert.ok(back.location.startsWith(redirectUri), 'back at the callback URL');
  const callback = new URL(back.location);
  const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
  return { tokens, verifier, state, nonce, callback, browser };
}

/** The error a token-endpoint call gets (openid-client parses Cognito's JSON error). */
async function refusal(promise) {
  try {
    await promise;
  } catch (error) {
    return { error: error.error ?? error.cause?.error ?? error.code, status: error.status ?? error.cause?.status };
  }
  assert.fail('the call was not refused');
}

/** A raw token-endpoint request, for what openid-client would not send. */
async function tokenRequest(params, { basic } = {}) {
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) headers.authorization = `Basic ${Buffer.from(`${basic.id}:${basic.secret}`).toString('base64')}`;
  const response = await fetch(`${LOGIN}/oauth2/token`, { method: 'POST', headers, body: new URLSearchParams(params) });
  return { status: response.status, json: await response.json().catch(() => null) };
}

let serverConfig; // the confidential client (the server-side frontend's), client_secret_basic

before(async () => {
  try {
    await control('GET', '/health');
  } catch (error) {
    throw new Error(`the local stack does not answer at ${CONTROL} (${error.message}): run \`make local-up\``);
  }
  serverConfig = await configFor(SERVER_CLIENT, oidc.ClientSecretBasic(SERVER_CLIENT.secret));
});

after(async () => {
  for (const username of created.users) await idp('AdminDeleteUser', { UserPoolId: POOL, Username: username });
  for (const clientId of created.clients) await idp('DeleteUserPoolClient', { UserPoolId: POOL, ClientId: clientId });
});

describe('discovery', () => {
  it('serves the pool\'s document at its issuer path: the real issuer, the local endpoints, exactly Cognito\'s fields', async () => {
    const metadata = serverConfig.serverMetadata();
    assert.equal(metadata.issuer, AWS_ISSUER, 'the issuer in Cognito\'s form (openid-client checked it against the URL)');
    assert.deepEqual(Object.keys(await (await fetch(ENV.OIDC_DISCOVERY_URL)).json()).sort(), [
      'authorization_endpoint', 'id_token_signing_alg_values_supported', 'issuer', 'jwks_uri', 'response_types_supported',
      'scopes_supported', 'subject_types_supported', 'token_endpoint', 'token_endpoint_auth_methods_supported', 'userinfo_endpoint',
    ], 'no end_session_endpoint, revocation_endpoint, grant_types_supported or code_challenge_methods_supported');
    assert.equal(metadata.authorization_endpoint, `${LOGIN}/oauth2/authorize`);
    assert.equal(metadata.token_endpoint, `${LOGIN}/oauth2/token`);
    assert.equal(metadata.userinfo_endpoint, `${LOGIN}/oauth2/userInfo`);
    assert.equal(metadata.jwks_uri, `${ENV.AWS_ENDPOINT_URL}/${POOL}/.well-known/jwks.json`);
    assert.deepEqual(metadata.response_types_supported, ['code', 'token']);
    assert.deepEqual(metadata.scopes_supported, ['openid', 'email', 'phone', 'profile']);
    assert.deepEqual(metadata.subject_types_supported, ['public']);
    assert.deepEqual(metadata.id_token_signing_alg_values_supported, ['RS256']);
    assert.deepEqual(metadata.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post']);
  });
});

describe('authorization code with PKCE, confidential client', () => {
  it('signs in through the form and gets the pool\'s own tokens (state, nonce, PKCE and the ID token checked by openid-client)', async () => {
    const { tokens, nonce } = await codeFlow(serverConfig);
    const id = tokens.claims();
    assert.equal(id.iss, AWS_ISSUER);
    assert.equal(id.aud, SERVER_CLIENT.id);
    assert.equal(id.token_use, 'id');
    assert.equal(id['cognito:username'], 'admin');
    assert.equal(id.nonce, nonce);
    assert.ok(id.at_hash && id.origin_jti && id.auth_time, 'at_hash, origin_jti, auth_time');
    assert.equal(JSON.parse(Buffer.from(tokens.id_token.split('.')[0], 'base64url')).kid, 'dummy', 'signed with the pool\'s key');
    const access = claims(tokens.access_token);
    assert.equal(access.token_use, 'access');
    assert.equal(access.client_id, SERVER_CLIENT.id);
    assert.equal(access.scope, 'openid email profile');
    assert.equal(access.origin_jti, id.origin_jti);
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.equal(tokens.expires_in, 3600);
    assert.ok(tokens.refresh_token, 'a refresh token');
    assert.equal(tokens.scope, undefined, 'Cognito answers no scope');
  });

  it('the ID token is accepted by the identity pool: the same identity as the public client\'s sign-in', async () => {
    const { tokens } = await codeFlow(serverConfig);
    const provider = `cognito-idp.${REGION}.amazonaws.com/${POOL}`;
    const fromServer = await identity('GetId', { AccountId: ENV.ACCOUNT_ID, IdentityPoolId: ENV.IDENTITY_POOL_ID, Logins: { [provider]: tokens.id_token } });
    assert.equal(fromServer.status, 200, 'GetId');
    const publicClient = ENV.USER_POOL_CLIENT_ID.split(',')[0];
    const signIn = await idp('AdminInitiateAuth', { UserPoolId: POOL, ClientId: publicClient, AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'admin', PASSWORD: PASSWORD.admin } });
    const fromPublic = await identity('GetId', { AccountId: ENV.ACCOUNT_ID, IdentityPoolId: ENV.IDENTITY_POOL_ID, Logins: { [provider]: signIn.json.AuthenticationResult.IdToken } });
    assert.ok(fromServer.json.IdentityId === fromPublic.json.IdentityId, 'one IdentityId per user, whichever app client');
    const keys = await identity('GetCredentialsForIdentity', { IdentityId: fromServer.json.IdentityId, Logins: { [provider]: tokens.id_token } });
    assert.equal(keys.status, 200, 'GetCredentialsForIdentity');
  });

  it('client_secret_post works as well', async () => {
    const config = await configFor(SERVER_CLIENT, oidc.ClientSecretPost(SERVER_CLIENT.secret));
    const { tokens } = await codeFlow(config, { user: 'user' });
    assert.equal(tokens.claims()['cognito:username'], 'user');
  });

  it('a public client (no secret) signs in with PKCE and no client authentication', async () => {
    const client = await newClient({ GenerateSecret: false });
    const config = await configFor(client, oidc.None());
    const { tokens } = await codeFlow(config, { redirectUri: client.callback });
    assert.equal(tokens.claims().aud, client.id);
  });

  it('a second authorization in the same browser skips the form (the domain\'s session), prompt=login shows it', async () => {
    const { browser } = await codeFlow(serverConfig);
    const url = oidc.buildAuthorizationUrl(serverConfig, { redirect_uri: CALLBACK, scope: 'openid', state: 's2' });
    const again = await browser.get(url);
    assert.equal(again.status, 302);
    assert.ok(again.location.startsWith(`${CALLBACK}?code=`), 'straight back with a code');
    const forced = await browser.signIn(oidc.buildAuthorizationUrl(serverConfig, { redirect_uri: CALLBACK, scope: 'openid', prompt: 'login' }));
    assert.equal(forced.status, 200, 'prompt=login: the sign-in page');
    signInForm(forced.text);
  });
});

describe('the sign-in page refuses as Cognito does', () => {
  const authorizeUrl = () => oidc.buildAuthorizationUrl(serverConfig, { redirect_uri: CALLBACK, scope: 'openid', state: 'st' });

  it('a wrong password: "Incorrect username or password.", no redirect', async () => {
    const page = await new Browser().signIn(authorizeUrl(), 'admin', 'Wrong-Password-1!');
    assert.equal(page.status, 200);
    assert.equal(pageMessage(page.text), 'Incorrect username or password.');
    signInForm(page.text);
    assert.ok(!page.text.includes('Wrong-Password-1!'), 'the password is not echoed');
  });

  it('an unknown user: the same sentence with PreventUserExistenceErrors, "User does not exist." without', async () => {
    const hidden = await new Browser().signIn(authorizeUrl(), unique('nobody'), 'Whatever-1!');
    assert.equal(pageMessage(hidden.text), 'Incorrect username or password.');
    const legacy = await newClient({ GenerateSecret: false, PreventUserExistenceErrors: 'LEGACY' });
    const config = await configFor(legacy, oidc.None());
    const shown = await new Browser().signIn(oidc.buildAuthorizationUrl(config, { redirect_uri: legacy.callback, scope: 'openid' }), unique('nobody'), 'Whatever-1!');
    assert.equal(pageMessage(shown.text), 'User does not exist.');
  });

  it('a disabled user: "User is disabled."', async () => {
    const { username, password } = await newUser('disabled');
    await idp('AdminDisableUser', { UserPoolId: POOL, Username: username });
    const page = await new Browser().signIn(authorizeUrl(), username, password);
    assert.equal(page.status, 200);
    assert.equal(pageMessage(page.text), 'User is disabled.');
  });

  it('a form posted without its CSRF token is refused', async () => {
    const browser = new Browser();
    const page = await browser.signIn(authorizeUrl());
    const form = signInForm(page.text);
    const body = new URLSearchParams({ username: 'admin', password: PASSWORD.admin, _csrf: 'forged' });
    const posted = await browser.get(new URL(form.action, LOGIN), { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(posted.status, 403);
  });
});

describe('/oauth2/authorize refuses as Cognito does', () => {
  const base = () => ({ response_type: 'code', client_id: SERVER_CLIENT.id, redirect_uri: CALLBACK, scope: 'openid', state: 'xyz' });
  const authorize = (params) => new Browser().get(`${LOGIN}/oauth2/authorize?${new URLSearchParams(params)}`);
  const backTo = (answer) => Object.fromEntries(new URL(answer.location).searchParams);

  it('a redirect_uri not registered, or an unknown client: the domain\'s error page, never the redirect', async () => {
    for (const params of [{ ...base(), redirect_uri: 'http://localhost:3001/elsewhere' }, { ...base(), redirect_uri: `${CALLBACK}/` },
      { ...base(), client_id: 'nosuchclient' }, { ...base(), redirect_uri: undefined }]) {
      if (params.redirect_uri === undefined) delete params.redirect_uri;
      const answer = await authorize(params);
      assert.equal(answer.status, 302);
      assert.ok(answer.location.startsWith(`${LOGIN}/error?error=redirect_mismatch`), 'to the error page');
      const page = await new Browser().get(answer.location);
      assert.equal(pageMessage(page.text), 'redirect_mismatch');
    }
  });

  it('a scope the client does not allow, or email without openid: invalid_scope, back to the client with the state', async () => {
    for (const scope of ['openid phone', 'aws.cognito.signin.user.admin', 'email']) {
      const answer = await authorize({ ...base(), scope });
      assert.deepEqual(backTo(answer), { error: 'invalid_scope', state: 'xyz' }, scope);
    }
  });

  it('PKCE other than S256, or half of it: invalid_request', async () => {
    const challenge = createHash('sha256').update('x'.repeat(50)).digest('base64url');
    for (const extra of [{ code_challenge: challenge, code_challenge_method: 'plain' }, { code_challenge: challenge }, { code_challenge_method: 'S256' }]) {
      assert.deepEqual(backTo(await authorize({ ...base(), ...extra })), { error: 'invalid_request', state: 'xyz' }, JSON.stringify(Object.keys(extra)));
    }
  });

  it('response_type token for a client without the implicit flow: unauthorized_client; no response_type: invalid_request', async () => {
    const token = await authorize({ ...base(), response_type: 'token' });
    assert.equal(new URLSearchParams(new URL(token.location).hash.slice(1)).get('error'), 'unauthorized_client');
    const missing = { ...base() };
    delete missing.response_type;
    assert.deepEqual(backTo(await authorize(missing)), { error: 'invalid_request', state: 'xyz' });
  });

  it('response_type token for a client that allows it: the tokens in the fragment, never a refresh token', async () => {
    const client = await newClient({ GenerateSecret: false, AllowedOAuthFlows: ['implicit'] });
    const url = `${LOGIN}/oauth2/authorize?${new URLSearchParams({ response_type: 'token', client_id: client.id, redirect_uri: client.callback, scope: 'openid', state: 'imp', nonce: 'n-imp' })}`;
    const back = await new Browser().signIn(url, 'admin', PASSWORD.admin);
    assert.equal(back.status, 302);
    const fragment = Object.fromEntries(new URLSearchParams(new URL(back.location).hash.slice(1)));
    assert.deepEqual(Object.keys(fragment).sort(), ['access_token', 'expires_in', 'id_token', 'state', 'token_type']);
    assert.equal(fragment.state, 'imp');
    assert.equal(claims(fragment.id_token).nonce, 'n-imp');
    assert.equal(new URL(back.location).search, '', 'nothing in the query');
  });
});

describe('/oauth2/token refuses as Cognito does (400, {"error": ...})', () => {
  it('a replayed code: invalid_grant', async () => {
    const { callback, verifier, state, nonce } = await codeFlow(serverConfig);
    const replay = await refusal(oidc.authorizationCodeGrant(serverConfig, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce }));
    assert.deepEqual(replay, { error: 'invalid_grant', status: 400 });
  });

  it('a wrong PKCE verifier: invalid_grant, and the code is used up', async () => {
    const browser = new Browser();
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(serverConfig, { redirect_uri: CALLBACK, scope: 'openid', state: 's', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
    const back = await browser.signIn(url, 'admin', PASSWORD.admin);
    const wrong = await refusal(oidc.authorizationCodeGrant(serverConfig, new URL(back.location), { pkceCodeVerifier: oidc.randomPKCECodeVerifier(), expectedState: 's' }));
    assert.deepEqual(wrong, { error: 'invalid_grant', status: 400 });
    const right = await refusal(oidc.authorizationCodeGrant(serverConfig, new URL(back.location), { pkceCodeVerifier: verifier, expectedState: 's' }));
    assert.deepEqual(right, { error: 'invalid_grant', status: 400 }, 'the right verifier after a wrong one');
  });

  it('no verifier for a code with a challenge: invalid_request', async () => {
    const browser = new Browser();
    const url = oidc.buildAuthorizationUrl(serverConfig, { redirect_uri: CALLBACK, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
    const code = new URL((await browser.signIn(url, 'admin', PASSWORD.admin)).location).searchParams.get('code');
    const answer = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK }, { basic: SERVER_CLIENT });
    assert.deepEqual(answer, { status: 400, json: { error: 'invalid_request' } });
  });

  it('a code redeemed with another redirect_uri or by another client is refused', async () => {
    const fresh = async () => {
      const url = oidc.buildAuthorizationUrl(serverConfig, { redirect_uri: CALLBACK, scope: 'openid' });
      return new URL((await new Browser().signIn(url, 'admin', PASSWORD.admin)).location).searchParams.get('code');
    };
    assert.deepEqual(await tokenRequest({ grant_type: 'authorization_code', code: await fresh(), redirect_uri: `${CALLBACK}?x=1` }, { basic: SERVER_CLIENT }),
      { status: 400, json: { error: 'invalid_grant' } }, 'another redirect_uri');
    const other = await newClient({ GenerateSecret: true, CallbackURLs: [CALLBACK] });
    assert.deepEqual(await tokenRequest({ grant_type: 'authorization_code', code: await fresh(), redirect_uri: CALLBACK }, { basic: other }),
      { status: 400, json: { error: 'invalid_grant' } }, 'another client');
  });

  it('client authentication: a wrong secret, no secret for a confidential client, an unknown client: invalid_client', async () => {
    const body = { grant_type: 'authorization_code', code: 'x', redirect_uri: CALLBACK };
    assert.deepEqual(await tokenRequest(body, { basic: { id: SERVER_CLIENT.id, secret: 'wrong' } }), { status: 400, json: { error: 'invalid_client' } });
    assert.deepEqual(await tokenRequest({ ...body, client_id: SERVER_CLIENT.id }), { status: 400, json: { error: 'invalid_client' } });
    assert.deepEqual(await tokenRequest(body, { basic: { id: 'nosuchclient', secret: 'x' } }), { status: 400, json: { error: 'invalid_client' } });
  });

  it('a grant the client may not use: unauthorized_client; an unknown grant type: unsupported_grant_type; no code: invalid_request', async () => {
    const implicitOnly = await newClient({ GenerateSecret: true, AllowedOAuthFlows: ['implicit'] });
    assert.deepEqual(await tokenRequest({ grant_type: 'authorization_code', code: 'x', redirect_uri: implicitOnly.callback }, { basic: implicitOnly }),
      { status: 400, json: { error: 'unauthorized_client' } });
    assert.deepEqual(await tokenRequest({ grant_type: 'password', username: 'admin', password: 'x' }, { basic: SERVER_CLIENT }),
      { status: 400, json: { error: 'unsupported_grant_type' } });
    assert.deepEqual(await tokenRequest({ grant_type: 'authorization_code', redirect_uri: CALLBACK }, { basic: SERVER_CLIENT }),
      { status: 400, json: { error: 'invalid_request' } });
  });
});

describe('refresh, userInfo, revocation, sign-out', () => {
  it('refresh_token: new ID and access tokens of the same user and origin, no new refresh token', async () => {
    const { tokens } = await codeFlow(serverConfig);
    const fresh = await oidc.refreshTokenGrant(serverConfig, tokens.refresh_token);
    assert.equal(fresh.claims().sub, tokens.claims().sub);
    assert.equal(fresh.claims().origin_jti, tokens.claims().origin_jti);
    assert.equal(fresh.claims().auth_time, tokens.claims().auth_time, 'auth_time of the sign-in');
    assert.ok(fresh.id_token !== tokens.id_token, 'a new ID token');
    assert.equal(fresh.refresh_token, undefined);
    assert.deepEqual(await refusal(oidc.refreshTokenGrant(serverConfig, 'not-a-refresh-token')), { error: 'invalid_grant', status: 400 });
  });

  it('userInfo: the user for an access token with openid; refused for an InitiateAuth access token, a bad one, none', async () => {
    const { tokens } = await codeFlow(serverConfig);
    const info = await oidc.fetchUserInfo(serverConfig, tokens.access_token, tokens.claims().sub);
    assert.equal(info.username, 'admin');
    const apiSignIn = await idp('AdminInitiateAuth', { UserPoolId: POOL, ClientId: ENV.USER_POOL_CLIENT_ID.split(',')[0], AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'admin', PASSWORD: PASSWORD.admin } });
    for (const token of [apiSignIn.json.AuthenticationResult.AccessToken, `${tokens.access_token}x`]) {
      const response = await fetch(`${LOGIN}/oauth2/userInfo`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(response.status, 401);
      assert.match(response.headers.get('www-authenticate'), /error="invalid_token"/);
    }
    const none = await fetch(`${LOGIN}/oauth2/userInfo`);
    assert.equal(none.status, 400);
    assert.match(none.headers.get('www-authenticate'), /error="invalid_request"/);
  });

  it('revoke: 200 with an empty body; the refresh token and its access tokens stop working; 200 for an unknown token', async () => {
    const auth = oidc.ClientSecretBasic(SERVER_CLIENT.secret);
    const config = withRevocation(serverConfig, SERVER_CLIENT, auth);
    const { tokens } = await codeFlow(serverConfig);
    const refreshed = await oidc.refreshTokenGrant(serverConfig, tokens.refresh_token);
    await oidc.tokenRevocation(config, tokens.refresh_token);
    assert.deepEqual(await refusal(oidc.refreshTokenGrant(serverConfig, tokens.refresh_token)), { error: 'invalid_grant', status: 400 });
    for (const access of [tokens.access_token, refreshed.access_token]) {
      const response = await fetch(`${LOGIN}/oauth2/userInfo`, { headers: { authorization: `Bearer ${access}` } });
      assert.equal(response.status, 401, 'access tokens of the revoked refresh token');
    }
    const raw = await fetch(`${LOGIN}/oauth2/revoke`, { method: 'POST', body: new URLSearchParams({ token: randomBytes(16).toString('hex') }),
      headers: { authorization: `Basic ${Buffer.from(`${SERVER_CLIENT.id}:${SERVER_CLIENT.secret}`).toString('base64')}` } });
    assert.equal(raw.status, 200, 'an unknown token');
    assert.equal(await raw.text(), '');
  });

  it('one revocation for the domain and the API: /oauth2/revoke stops REFRESH_TOKEN_AUTH, RevokeToken stops the refresh_token grant', async () => {
    const auth = oidc.ClientSecretBasic(SERVER_CLIENT.secret);
    const config = withRevocation(serverConfig, SERVER_CLIENT, auth);
    // InitiateAuth, unsigned as the SDKs send it, with the confidential client's SECRET_HASH.
    const apiRefresh = (refreshToken) => idp('InitiateAuth', { ClientId: SERVER_CLIENT.id, AuthFlow: 'REFRESH_TOKEN_AUTH',
      AuthParameters: { REFRESH_TOKEN: refreshToken, SECRET_HASH: secretHash(SERVER_CLIENT.secret, SERVER_CLIENT.id, 'admin') } }, { signed: false });

    const viaDomain = (await codeFlow(serverConfig)).tokens;
    assert.equal((await apiRefresh(viaDomain.refresh_token)).status, 200, 'the API refreshes a managed-login refresh token');
    await oidc.tokenRevocation(config, viaDomain.refresh_token);
    const refused = await apiRefresh(viaDomain.refresh_token);
    assert.deepEqual([refused.status, refused.type, refused.json.message], [400, 'NotAuthorizedException', 'Refresh Token has been revoked'],
      'REFRESH_TOKEN_AUTH after /oauth2/revoke');

    const viaApi = (await codeFlow(serverConfig)).tokens;
    assert.ok((await oidc.refreshTokenGrant(serverConfig, viaApi.refresh_token)).id_token, 'the domain refreshes before');
    const revoked = await idp('RevokeToken', { ClientId: SERVER_CLIENT.id, ClientSecret: SERVER_CLIENT.secret, Token: viaApi.refresh_token }, { signed: false });
    assert.deepEqual([revoked.status, revoked.json], [200, {}], 'RevokeToken');
    assert.deepEqual(await refusal(oidc.refreshTokenGrant(serverConfig, viaApi.refresh_token)), { error: 'invalid_grant', status: 400 },
      'the refresh_token grant after RevokeToken');
    const info = await fetch(`${LOGIN}/oauth2/userInfo`, { headers: { authorization: `Bearer ${viaApi.access_token}` } });
    assert.equal(info.status, 401, 'userInfo with an access token of the revoked refresh token');
  });

  it('revoke refuses: an access token (unsupported_token_type), no token (invalid_request), a wrong secret (401 invalid_client)', async () => {
    const { tokens } = await codeFlow(serverConfig);
    const revoke = async (body, secret = SERVER_CLIENT.secret) => {
      const response = await fetch(`${LOGIN}/oauth2/revoke`, { method: 'POST', body: new URLSearchParams(body),
        headers: { authorization: `Basic ${Buffer.from(`${SERVER_CLIENT.id}:${secret}`).toString('base64')}` } });
      return { status: response.status, json: await response.json() };
    };
    assert.deepEqual(await revoke({ token: tokens.access_token }), { status: 400, json: { error: 'unsupported_token_type' } });
    assert.deepEqual(await revoke({}), { status: 400, json: { error: 'invalid_request' } });
    assert.deepEqual(await revoke({ token: tokens.refresh_token }, 'wrong'), { status: 401, json: { error: 'invalid_client' } });
    assert.equal((await oidc.refreshTokenGrant(serverConfig, tokens.refresh_token)).claims().sub, tokens.claims().sub, 'still valid');
  });

  it('a disabled user, or one signed out everywhere, cannot refresh: invalid_grant', async () => {
    for (const [label, operation] of [['disable', 'AdminDisableUser'], ['signout', 'AdminUserGlobalSignOut']]) {
      const { username, password } = await newUser(label);
      const { tokens } = await codeFlow(serverConfig, { user: username, password });
      assert.equal((await idp(operation, { UserPoolId: POOL, Username: username })).status, 200, operation);
      assert.deepEqual(await refusal(oidc.refreshTokenGrant(serverConfig, tokens.refresh_token)), { error: 'invalid_grant', status: 400 }, operation);
    }
  });

  it('logout with a registered logout_uri ends the domain\'s session (the next sign-in shows the form); any other URL does not', async () => {
    const { browser } = await codeFlow(serverConfig);
    const stray = await browser.get(`${LOGIN}/logout?${new URLSearchParams({ client_id: SERVER_CLIENT.id, logout_uri: 'http://localhost:3001/elsewhere' })}`);
    assert.equal(stray.status, 400);
    assert.equal(pageMessage(stray.text), "Required String parameter 'redirect_uri' is not present");
    const url = oidc.buildAuthorizationUrl(serverConfig, { redirect_uri: CALLBACK, scope: 'openid' });
    assert.ok((await browser.get(url)).location.startsWith(`${CALLBACK}?code=`), 'still signed in at the domain');
    const out = await browser.get(`${LOGIN}/logout?${new URLSearchParams({ client_id: SERVER_CLIENT.id, logout_uri: ENV.WEB_SERVER_LOGOUT_URL })}`);
    assert.equal(out.status, 302);
    assert.equal(out.location, ENV.WEB_SERVER_LOGOUT_URL);
    assert.ok((await browser.get(url)).location.startsWith(`${LOGIN}/login?`), 'signed out: the form again');
  });
});

describe('SECRET_HASH, as the seed signs in (AdminInitiateAuth, ADMIN_USER_PASSWORD_AUTH)', () => {
  const signIn = (parameters) => idp('AdminInitiateAuth', { UserPoolId: POOL, ClientId: SERVER_CLIENT.id, AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
    AuthParameters: { USERNAME: 'admin', PASSWORD: PASSWORD.admin, ...parameters } });

  it('the right hash signs in; a wrong or missing one is NotAuthorizedException with Cognito\'s messages', async () => {
    const ok = await signIn({ SECRET_HASH: secretHash(SERVER_CLIENT.secret, SERVER_CLIENT.id, 'admin') });
    assert.equal(ok.status, 200);
    assert.equal(claims(ok.json.AuthenticationResult.IdToken).aud, SERVER_CLIENT.id);
    const wrong = await signIn({ SECRET_HASH: secretHash('not-the-secret', SERVER_CLIENT.id, 'admin') });
    assert.deepEqual([wrong.status, wrong.type, wrong.json.message], [400, 'NotAuthorizedException', `Unable to verify secret hash for client ${SERVER_CLIENT.id}`]);
    const missing = await signIn({});
    assert.deepEqual([missing.status, missing.type, missing.json.message],
      [400, 'NotAuthorizedException', `Client ${SERVER_CLIENT.id} is configured with secret but SECRET_HASH was not received`]);
  });

  it('refreshing with the client needs the hash too', async () => {
    const ok = await signIn({ SECRET_HASH: secretHash(SERVER_CLIENT.secret, SERVER_CLIENT.id, 'admin') });
    const refresh = (parameters) => idp('AdminInitiateAuth', { UserPoolId: POOL, ClientId: SERVER_CLIENT.id, AuthFlow: 'REFRESH_TOKEN_AUTH',
      AuthParameters: { REFRESH_TOKEN: ok.json.AuthenticationResult.RefreshToken, ...parameters } });
    assert.equal((await refresh({})).type, 'NotAuthorizedException');
    assert.equal((await refresh({ SECRET_HASH: secretHash(SERVER_CLIENT.secret, SERVER_CLIENT.id, 'admin') })).status, 200);
  });
});
