// cdk-nag AwsSolutionsChecks: no unacknowledged finding, and every acknowledgement answers a real
// finding at its construct with a written reason (no blanket or stale suppressions).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReadFileStackProps } from '../lib/read-file-stack';
import { synthWithNag } from './helpers';

const VARIANTS: [string, ReadFileStackProps][] = [
  ['defaults', {}],
  ['X-Ray off', { xrayTracing: false }],
  ['MFA required, self sign-up on', { mfa: 'required', selfSignUpEnabled: true }],
  ['another prefix and stage', { s3Prefix: 'users/files', stageName: 'prod' }],
  ['WAF off', { waf: { enabled: false } }],
  ['GitHub deploy role, log readers', {
    githubDeploy: { repository: 'acme/read-file' }, logReaders: ['arn:aws:iam::123456789012:role/Auditors'],
  }],
  ['the shared tier with a trail', { trail: true }],
  ['without the shared tier', { sessionTier: false }],
];

describe('cdk-nag AwsSolutionsChecks', () => {
  for (const [name, props] of VARIANTS) {
    it(`${name}: synth passes with no unacknowledged finding`, () => {
      const { findings, error } = synthWithNag(props);
      assert.deepEqual(findings, []);
      assert.equal(error, undefined);
    });

    it(`${name}: each acknowledgement matches a real finding on its construct, with a reason`, () => {
      const { stack, findings } = synthWithNag({ ...props, acknowledgeNagFindings: false });
      const raw = findings.map((f) => `${f.rule} @ ${f.path.replace(/\/Resource$/, '')}`);
      const acked = stack.acknowledgements.map((a) => `${a.id} @ ${a.path}`);
      for (const a of acked) assert.ok(raw.some((r) => r === a || r.startsWith(`${a}/`)), `stale acknowledgement: ${a}`);
      for (const r of raw) assert.ok(acked.some((a) => r === a || r.startsWith(`${a}/`)), `finding without acknowledgement: ${r}`);
      for (const a of stack.acknowledgements) {
        assert.ok(a.reason.length >= 80, `${a.id}: reason too short`);
        assert.ok(/^AwsSolutions-[A-Z]+[0-9]+(\[.+\])?$/.test(a.id), `${a.id}: a specific rule id, not a blanket one`);
      }
    });
  }
});
