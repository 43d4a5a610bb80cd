// Renders the one policy source, infra/policies/*.json (see infra/policies/README.md).
//
// Rendering is plain string replacement of every `{{NAME}}`; IAM policy variables such as
// `${cognito-identity.amazonaws.com:sub}` are left alone. Values may be CDK tokens (for example a
// bucket name that CloudFormation resolves at deploy time): a token is a plain string at synth time,
// so it survives the replacement and CDK turns it back into Ref / Fn::Join when the template is
// written.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The folder that holds the shared policy documents. */
export const POLICIES_DIR = path.join(__dirname, '..', 'policies');

/** The policy documents of the system, by file name without `.json`. */
export type PolicyName =
  | 'user-files'
  | 'user-shares'
  | 'authenticated-trust'
  | 'lambda-user-check'
  | 'lambda-session-table'
  | 'revocations-session-table'
  | 'invoke-api';

/** Placeholders each document must be given (and may use: anything else is an error). */
export const POLICY_PLACEHOLDERS: Record<PolicyName, readonly string[]> = {
  'user-files': ['PARTITION', 'BUCKET', 'PREFIX'],
  'user-shares': ['PARTITION', 'BUCKET', 'PREFIX', 'REGION'],
  'authenticated-trust': ['IDENTITY_POOL_ID'],
  'lambda-user-check': ['USER_POOL_ARN'],
  'lambda-session-table': ['TABLE_ARN'],
  'revocations-session-table': ['TABLE_ARN'],
  'invoke-api': ['PARTITION', 'REGION', 'ACCOUNT_ID', 'API_ID', 'STAGE'],
};

const PLACEHOLDER = /\{\{([A-Za-z0-9_]+)\}\}/g;

/**
 * Replace every `{{NAME}}` in `text` with `values[NAME]`.
 *
 * Throws when a placeholder has no value, when a value is given that the text never uses (a typo
 * in a caller would otherwise go unnoticed), or when any `{{` is left afterwards. Values are
 * JSON-string-escaped, because every placeholder of the policy source sits inside a JSON string.
 */
export function renderTemplate(text: string, values: Record<string, string>, what = 'policy'): string {
  const used = new Set<string>();
  const rendered = text.replace(PLACEHOLDER, (_match, name: string) => {
    if (!Object.prototype.hasOwnProperty.call(values, name)) {
      throw new Error(`${what}: no value for placeholder {{${name}}}`);
    }
    used.add(name);
    return JSON.stringify(values[name]).slice(1, -1);
  });
  const unused = Object.keys(values).filter((name) => !used.has(name));
  if (unused.length > 0) {
    throw new Error(`${what}: values given for placeholders it does not contain: ${unused.join(', ')}`);
  }
  if (rendered.includes('{{')) {
    throw new Error(`${what}: a '{{' is left after rendering (malformed placeholder?)`);
  }
  return rendered;
}

/** Read `infra/policies/<name>.json`, render it, and parse the result. */
export function renderPolicy(name: PolicyName, values: Record<string, string>): PolicyJson {
  const file = path.join(POLICIES_DIR, `${name}.json`);
  const text = readFileSync(file, 'utf8');
  return JSON.parse(renderTemplate(text, values, file)) as PolicyJson;
}

/** The shape of an IAM policy document as JSON (enough for our documents). */
export interface PolicyJson {
  Version: string;
  Statement: PolicyStatementJson[];
}

export interface PolicyStatementJson {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: Record<string, string | string[]>;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}
