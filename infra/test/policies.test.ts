// The renderer of the one policy source (infra/policies/), and the switch for the Lambda asset.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseLambdaAsset, prebuiltBootstrap } from '../lib/lambda-asset';
import { POLICY_PLACEHOLDERS, renderPolicy, renderTemplate, type PolicyName } from '../lib/policies';

describe('renderTemplate', () => {
  it('replaces every {{NAME}} and leaves IAM policy variables alone', () => {
    const out = renderTemplate('"arn:aws:s3:::{{B}}/{{P}}/${cognito-identity.amazonaws.com:sub}/{{P}}"', { B: 'bkt', P: 'pre' });
    assert.equal(out, '"arn:aws:s3:::bkt/pre/${cognito-identity.amazonaws.com:sub}/pre"');
  });

  it('fails on a placeholder without a value', () => {
    assert.throws(() => renderTemplate('{{A}} {{B}}', { A: 'x' }), /no value for placeholder \{\{B\}\}/);
  });

  it('fails on a value for a placeholder the text does not contain', () => {
    assert.throws(() => renderTemplate('{{A}}', { A: 'x', TYPO: 'y' }), /TYPO/);
  });

  it("fails when any '{{' is left (malformed placeholder)", () => {
    assert.throws(() => renderTemplate('{{A}} {{ B }}', { A: 'x' }), /left after rendering/);
    assert.throws(() => renderTemplate('{{A}} {{b-c}}', { A: 'x' }), /left after rendering/);
  });

  it('does not let a value re-introduce a placeholder', () => {
    assert.throws(() => renderTemplate('{{A}}', { A: '{{B}}' }), /left after rendering/);
  });

  it('JSON-escapes values, so a value cannot break out of its string', () => {
    const out = renderTemplate('{"k": "{{A}}"}', { A: 'x", "Effect": "Allow' });
    assert.deepEqual(JSON.parse(out), { k: 'x", "Effect": "Allow' });
  });
});

describe('the policy source', () => {
  for (const [name, placeholders] of Object.entries(POLICY_PLACEHOLDERS) as [PolicyName, readonly string[]][]) {
    it(`${name}.json renders with exactly ${placeholders.join(', ')} into a valid policy`, () => {
      const values = Object.fromEntries(placeholders.map((p) => [p, `value-of-${p.toLowerCase()}`]));
      const doc = renderPolicy(name, values);
      assert.equal(doc.Version, '2012-10-17');
      assert.ok(doc.Statement.length > 0);
      assert.ok(!JSON.stringify(doc).includes('{{'));
      for (const p of placeholders) {
        const partial = { ...values };
        delete partial[p];
        assert.throws(() => renderPolicy(name, partial), new RegExp(`\\{\\{${p}\\}\\}`));
      }
    });
  }

  it('user-files.json scopes every resource and the list prefix to the caller\'s own folder', () => {
    const doc = renderPolicy('user-files', { PARTITION: 'aws', BUCKET: 'bkt', PREFIX: 'cognito-test' });
    const own = 'cognito-test/${cognito-identity.amazonaws.com:sub}';
    // Objects only inside the folder: the bare key cognito-test/<id> is nobody's.
    for (const sid of ['ReadAndDeleteOwnObjects', 'WriteOwnObjectsPlainly']) {
      assert.equal(doc.Statement.find((s) => s.Sid === sid)!.Resource, `arn:aws:s3:::bkt/${own}/*`);
    }
    const list = doc.Statement.find((s) => s.Sid === 'ListOwnPrefix')!;
    assert.equal(list.Resource, 'arn:aws:s3:::bkt');
    // Exactly what the routes use: read (GET /read-file, GET /files/{name+} and its signed URL),
    // write (PUT, signed upload URLs), delete, and the own-prefix listing (GET /files, 404 vs 403).
    assert.deepEqual(doc.Statement.map((s) => [s.Effect, s.Action]),
      [['Allow', ['s3:GetObject', 's3:DeleteObject']], ['Allow', 's3:PutObject'], ['Allow', 's3:ListBucket']]);
    assert.deepEqual(list.Condition, { StringLike: { 's3:prefix': [`${own}/`, `${own}/*`] } });
  });

  it('user-files.json lets the browser\'s keys write only plain objects: STANDARD, no SSE-C, no tags, no ACL', () => {
    const doc = renderPolicy('user-files', { PARTITION: 'aws', BUCKET: 'bkt', PREFIX: 'cognito-test' });
    const write = doc.Statement.find((s) => s.Sid === 'WriteOwnObjectsPlainly')!;
    // A request naming no storage class is STANDARD, hence IfExists; Null "true": the header is absent.
    // The role grants neither s3:PutObjectTagging nor s3:PutObjectAcl, which S3 requires too for a
    // PutObject with tags or an ACL.
    assert.deepEqual(write.Condition, {
      StringEqualsIfExists: { 's3:x-amz-storage-class': 'STANDARD' },
      Null: Object.fromEntries([
        's3:x-amz-server-side-encryption-customer-algorithm', 's3:RequestObjectTagKeys', 's3:x-amz-acl',
        's3:x-amz-grant-full-control', 's3:x-amz-grant-read', 's3:x-amz-grant-read-acp', 's3:x-amz-grant-write',
        's3:x-amz-grant-write-acp',
      ].map((key) => [key, 'true'])),
    });
  });
});

describe('the Lambda asset switch (READ_FILE_LAMBDA_ASSET / -c lambdaAsset)', () => {
  it('defaults to the real cargo lambda build', () => {
    assert.deepEqual(parseLambdaAsset(undefined), { kind: 'build' });
    assert.deepEqual(parseLambdaAsset(''), { kind: 'build' });
    assert.deepEqual(parseLambdaAsset('build'), { kind: 'build' });
  });

  it("'placeholder' selects the placeholder", () => {
    assert.deepEqual(parseLambdaAsset('placeholder'), { kind: 'placeholder' });
  });

  it('anything else is a prebuilt bootstrap (file or folder), checked to exist', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'read-file-prebuilt-'));
    try {
      assert.deepEqual(parseLambdaAsset(dir), { kind: 'prebuilt', path: dir });
      assert.throws(() => prebuiltBootstrap(dir), /no bootstrap file/);
      writeFileSync(path.join(dir, 'bootstrap'), 'x');
      assert.equal(prebuiltBootstrap(dir), path.join(dir, 'bootstrap'));
      assert.equal(prebuiltBootstrap(path.join(dir, 'bootstrap')), path.join(dir, 'bootstrap'));
      assert.throws(() => prebuiltBootstrap(path.join(dir, 'missing')), /does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
