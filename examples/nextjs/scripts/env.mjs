// Write .env.local, the server's settings, the only thing that differs between stacks.
//   node scripts/env.mjs --local [ENV_FILE]        from the local stack's .local/stack.env
//   node scripts/env.mjs --outputs OUTPUTS.json    from a deployed stack's CloudFormation outputs
//     (`-` reads them from stdin); the client secret from $COGNITO_CLIENT_SECRET (never an output):
//     COGNITO_CLIENT_SECRET=$(aws cognito-idp describe-user-pool-client ... --query UserPoolClient.ClientSecret --output text) \
//       node scripts/env.mjs --outputs outputs.json
// Options: --origin URL (this app's origin; default http://localhost:${PORT:-3001}), --out FILE
// (default .env.local).
// An existing NEXTAUTH_SECRET in .env.local is kept; otherwise a new random one is written.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({
  options: { local: { type: 'boolean' }, outputs: { type: 'string' }, origin: { type: 'string' }, out: { type: 'string' } },
  allowPositionals: true,
});
const target = values.out ?? join(root, '.env.local');
const readEnv = (text) => Object.fromEntries(text.split('\n').filter((l) => l.includes('=') && !l.startsWith('#'))
  .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
const need = (map, keys, where) => {
  for (const key of keys) if (!map[key]) throw new Error(`${where}: ${key} is missing`);
};

function fromLocal(path) {
  if (!existsSync(path)) throw new Error(`${path} is missing: start the local stack first (make dev, or make local-up)`);
  const env = readEnv(readFileSync(path, 'utf8'));
  need(env, ['AWS_REGION', 'USER_POOL_ID', 'IDENTITY_POOL_ID', 'API_URL', 'AWS_ENDPOINT_URL', 'OIDC_DISCOVERY_URL', 'MANAGED_LOGIN_URL',
    'WEB_SERVER_CLIENT_ID', 'WEB_SERVER_CLIENT_SECRET'], `${path} (restart the stack: make local-down local-up)`);
  return {
    COGNITO_REGION: env.AWS_REGION,
    COGNITO_USER_POOL_ID: env.USER_POOL_ID,
    COGNITO_CLIENT_ID: env.WEB_SERVER_CLIENT_ID,
    COGNITO_CLIENT_SECRET: env.WEB_SERVER_CLIENT_SECRET,
    COGNITO_DOMAIN: env.MANAGED_LOGIN_URL,
    IDENTITY_POOL_ID: env.IDENTITY_POOL_ID,
    API_URL: env.API_URL,
    // The local stack only: where Cognito's endpoints are instead of AWS's.
    OIDC_DISCOVERY_URL: env.OIDC_DISCOVERY_URL,
    COGNITO_IDENTITY_ENDPOINT: env.AWS_ENDPOINT_URL,
  };
}

function fromOutputs(path) {
  const outputs = Object.fromEntries(JSON.parse(readFileSync(path === '-' ? 0 : path, 'utf8')).map((o) => [o.OutputKey, o.OutputValue]));
  need(outputs, ['Region', 'UserPoolId', 'IdentityPoolId', 'ApiUrl', 'ManagedLoginUrl', 'WebServerClientId'], path);
  if (!process.env.COGNITO_CLIENT_SECRET) throw new Error('COGNITO_CLIENT_SECRET is not set (see the usage at the top of this script)');
  return {
    COGNITO_REGION: outputs.Region,
    COGNITO_USER_POOL_ID: outputs.UserPoolId,
    COGNITO_CLIENT_ID: outputs.WebServerClientId,
    COGNITO_CLIENT_SECRET: process.env.COGNITO_CLIENT_SECRET,
    COGNITO_DOMAIN: outputs.ManagedLoginUrl,
    IDENTITY_POOL_ID: outputs.IdentityPoolId,
    API_URL: outputs.ApiUrl,
  };
}

let settings;
try {
  if (values.local) settings = fromLocal(positionals[0] ?? join(root, '..', '..', '.local', 'stack.env'));
  else if (values.outputs) settings = fromOutputs(values.outputs);
} catch (error) {
  console.error(`nextjs: ${error.message}`);
  process.exit(1);
}
if (!settings) {
  console.error('usage: env.mjs --local [ENV_FILE] | --outputs OUTPUTS.json  [--origin URL] [--out FILE]');
  process.exit(2);
}
const previous = existsSync(target) ? readEnv(readFileSync(target, 'utf8')) : {};
const origin = new URL(values.origin ?? `http://localhost:${process.env.PORT ?? 3001}`).origin;
const all = {
  ...settings,
  NEXTAUTH_URL: origin,
  // Encrypts the session cookie (the tokens): keep it across restarts, never share it.
  NEXTAUTH_SECRET: previous.NEXTAUTH_SECRET ?? randomBytes(32).toString('base64url'),
};
writeFileSync(target, `# Written by scripts/env.mjs; secrets inside: keep it out of version control.\n${Object.entries(all).map(([k, v]) => `${k}=${v}`).join('\n')}\n`, { mode: 0o600 });
console.log(`nextjs: ${target} -> ${origin}, API ${all.API_URL}, Cognito domain ${all.COGNITO_DOMAIN}`);
