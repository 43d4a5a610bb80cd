// The page's Content-Security-Policy, in index.html itself (<meta http-equiv>): a static host may
// send no header at all. scripts/config.mjs writes dist/index.html with the policy of the
// configuration in use; src/index.html carries a fail-closed one (no origin but the page's own).
//
// What a <meta> policy cannot carry (the CSP spec ignores them there): frame-ancestors, report-uri /
// report-to, sandbox. A host must send `Content-Security-Policy: frame-ancestors 'none'` as a header
// (scripts/serve.mjs does) so that no other site can frame the page.
import { readFileSync, writeFileSync } from 'node:fs';

/** The policy: nothing by default; the page's own script and stylesheet; `connect` the only other
 *  origins it may call ('self' serves config.json). */
export function policy(connect) {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    'img-src data:', // the empty favicon (data:,)
    `connect-src ${["'self'", ...new Set(connect)].join(' ')}`,
    "base-uri 'none'",
    "form-action 'none'", // the sign-in form is never submitted by the browser (it would put the password in a URL)
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; ');
}

/** The origins of a local stack: the API gateway; Cognito and S3 share moto's endpoint (path-style URLs). */
export function localOrigins(env) {
  return [env.API_URL, env.AWS_ENDPOINT_URL, env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL].map(origin);
}

/** The origins of a deployed stack: the API stage, the user pool's and the identity pool's public
 *  endpoints, and the bucket as the function presigns its URLs (virtual-hosted, regional). */
export function deployedOrigins({ apiUrl, region, bucket }) {
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return [
    origin(apiUrl),
    `https://cognito-idp.${region}.${suffix}`,
    `https://cognito-identity.${region}.${suffix}`,
    `https://${bucket}.s3.${region}.${suffix}`,
  ];
}

function origin(url) {
  const { protocol, origin: value } = new URL(url);
  if (protocol !== 'https:' && protocol !== 'http:') throw new Error(`not an http(s) URL: ${url}`);
  return value;
}

const META = /<meta http-equiv="Content-Security-Policy" content="[^"]*">/;

/** Write `to` from the page `from` with its policy replaced by `csp`. */
export function writePage(from, to, csp) {
  const html = readFileSync(from, 'utf8');
  if (!META.test(html)) throw new Error(`${from}: no Content-Security-Policy <meta> to fill in`);
  if (/["<>]/.test(csp)) throw new Error('a policy cannot contain " < >');
  writeFileSync(to, html.replace(META, `<meta http-equiv="Content-Security-Policy" content="${csp}">`));
}
