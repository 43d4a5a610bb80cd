// Write dist/config.json, the only thing that differs between stacks, and dist/index.html with the
// Content-Security-Policy of that stack (scripts/csp.mjs): run it after scripts/build.mjs.
//   node scripts/config.mjs --local [ENV_FILE]      from the local stack's .local/stack.env
//   node scripts/config.mjs --outputs OUTPUTS.json  from a deployed stack's CloudFormation outputs
//   (`-` reads them from stdin), e.g. in one command:
//     aws cloudformation describe-stacks --stack-name ReadFileStack --query 'Stacks[0].Outputs' | node scripts/config.mjs --outputs -
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deployedOrigins, localOrigins, policy, writePage } from './csp.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [mode, file] = process.argv.slice(2);

function fromLocal(path) {
  const env = Object.fromEntries(
    readFileSync(path, 'utf8').split('\n').filter((l) => l.includes('=') && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  for (const key of ['AWS_REGION', 'USER_POOL_ID', 'USER_POOL_CLIENT_ID', 'IDENTITY_POOL_ID', 'API_URL', 'AWS_ENDPOINT_URL']) {
    if (!env[key]) throw new Error(`${path}: ${key} is missing (is the local stack up? make local-up)`);
  }
  const config = {
    region: env.AWS_REGION,
    userPoolId: env.USER_POOL_ID,
    userPoolClientId: env.USER_POOL_CLIENT_ID.split(',')[0],
    identityPoolId: env.IDENTITY_POOL_ID,
    apiUrl: env.API_URL,
    cognitoEndpoint: env.AWS_ENDPOINT_URL,
  };
  return { config, origins: localOrigins(env) };
}

function fromOutputs(path) {
  const outputs = Object.fromEntries(JSON.parse(readFileSync(path === '-' ? 0 : path, 'utf8')).map((o) => [o.OutputKey, o.OutputValue]));
  for (const key of ['Region', 'UserPoolId', 'UserPoolClientId', 'IdentityPoolId', 'ApiUrl', 'BucketName']) {
    if (!outputs[key]) throw new Error(`${path}: output ${key} is missing`);
  }
  const config = {
    region: outputs.Region,
    userPoolId: outputs.UserPoolId,
    userPoolClientId: outputs.UserPoolClientId,
    identityPoolId: outputs.IdentityPoolId,
    apiUrl: outputs.ApiUrl,
  };
  return { config, origins: deployedOrigins({ apiUrl: outputs.ApiUrl, region: outputs.Region, bucket: outputs.BucketName }) };
}

let stack;
if (mode === '--local') stack = fromLocal(file ?? join(root, '..', '..', '.local', 'stack.env'));
else if (mode === '--outputs' && file) stack = fromOutputs(file);
else {
  console.error('usage: config.mjs --local [ENV_FILE] | --outputs OUTPUTS.json');
  process.exit(2);
}
const { config, origins } = stack;
mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(join(root, 'dist', 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
writePage(join(root, 'src', 'index.html'), join(root, 'dist', 'index.html'), policy(origins));
console.log(`web: dist/config.json -> API ${config.apiUrl}${config.cognitoEndpoint ? `, Cognito ${config.cognitoEndpoint}` : ''}`);
console.log(`web: dist/index.html -> connect-src 'self' ${[...new Set(origins)].join(' ')}`);
