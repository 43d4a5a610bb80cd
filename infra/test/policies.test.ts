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
    for (const sid of ['ReadAndDeleteOwnObjects', 'WriteOwnObjectsPlainly', 'OwnMultipartUploads']) {
      assert.equal(doc.Statement.find((s) => s.Sid === sid)!.Resource, `arn:aws:s3:::bkt/${own}/*`);
    }
    const list = doc.Statement.find((s) => s.Sid === 'ListOwnPrefix')!;
    assert.equal(list.Resource, 'arn:aws:s3:::bkt');
    // Exactly what the routes use: read (GET /read-file, GET /files/{name+} and its signed URL, a
    // copy's source), write (PUT, signed upload URLs, multipart uploads and their parts, a copy's
    // target), delete (one key, or each key of a DeleteObjects batch), the own uploads' parts and
    // abort, and the own-prefix listing (GET /files, 404 vs 403). No s3:ListBucketMultipartUploads:
    // S3 takes no s3:prefix condition for it, so it would list every user's unfinished uploads.
    assert.deepEqual(doc.Statement.map((s) => [s.Effect, s.Action]),
      [['Allow', ['s3:GetObject', 's3:DeleteObject']], ['Allow', 's3:PutObject'],
        ['Allow', ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts']], ['Allow', 's3:ListBucket']]);
    assert.ok(!JSON.stringify(doc).includes('ListBucketMultipartUploads'));
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

describe('user-shares.json (sharing, issue 21 §5)', () => {
  const doc = renderPolicy('user-shares', { PARTITION: 'aws', BUCKET: 'bkt', PREFIX: 'cognito-test', REGION: 'eu-west-1' });
  const sub = '${cognito-identity.amazonaws.com:sub}';
  const bySid = (sid: string) => {
    const st = doc.Statement.find((s) => s.Sid === sid);
    assert.ok(st, sid);
    return st;
  };

  it('lets a recipient read and list only <prefix>-shared/<own IdentityId>/', () => {
    assert.deepEqual(doc.Statement.map((s) => [s.Sid, s.Effect, s.Action]), [
      ['ReadWhatIsSharedWithMe', 'Allow', 's3:GetObject'],
      ['ListWhatIsSharedWithMe', 'Allow', 's3:ListBucket'],
      ['ShareAsMyselfPlainly', 'Allow', 's3:PutObject'],
      ['RevokeMyShares', 'Allow', 's3:DeleteObject'],
    ]);
    assert.equal(bySid('ReadWhatIsSharedWithMe').Resource, `arn:aws:s3:::bkt/cognito-test-shared/${sub}/*`);
    const list = bySid('ListWhatIsSharedWithMe');
    assert.equal(list.Resource, 'arn:aws:s3:::bkt');
    assert.deepEqual(list.Condition, {
      StringLike: { 's3:prefix': [`cognito-test-shared/${sub}/`, `cognito-test-shared/${sub}/*`] },
    });
    assert.equal(bySid('ReadWhatIsSharedWithMe').Condition, undefined);
  });

  it('lets an owner write and delete only <prefix>-shared/<a fixed-length IdentityId>/<own IdentityId>/', () => {
    // `?` matches one character and never a colon; `*` would also match `/` and let M write
    // shared/R/O/x/M/y, which R would read as shared by O. With exactly 36 characters after the
    // Region's literal colon, a key under a real recipient's folder has the writer as its owner segment.
    const pattern = `arn:aws:s3:::bkt/cognito-test-shared/eu-west-1:????????-????-????-????-????????????/${sub}/*`;
    for (const sid of ['ShareAsMyselfPlainly', 'RevokeMyShares']) assert.equal(bySid(sid).Resource, pattern);
    // The recipient segment, read as IAM reads it (`?`: one character other than a colon): an
    // IdentityId of the Region, and nothing longer, shorter, or of another Region.
    const recipient = pattern.split('cognito-test-shared/')[1].split(`/${sub}/`)[0];
    const asRegex = new RegExp(`^${recipient.replace(/\?/g, '[^:]')}$`);
    assert.ok(asRegex.test('eu-west-1:0b5a1f2e-1c3d-4e5f-8a9b-0c1d2e3f4a5b'));
    for (const other of ['eu-west-1:0b5a1f2e-1c3d-4e5f-8a9b-0c1d2e3f4a5', 'eu-west-1:0b5a1f2e-1c3d-4e5f-8a9b-0c1d2e3f4a5b6',
      'us-east-1:0b5a1f2e-1c3d-4e5f-8a9b-0c1d2e3f4a5b', 'eu-west-1:0b5a1f2e-1c3d-4e5f-8a9b-0c1d2e3f4a5:']) {
      assert.ok(!asRegex.test(other), other);
    }
    assert.equal(bySid('RevokeMyShares').Condition, undefined);
    // No reading through the owner's pattern (a recipient reads only its own folder), no
    // multipart on the shared prefix, no tagging or ACL actions.
    const actions = doc.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    assert.deepEqual(actions.sort(), ['s3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject']);
  });

  it('shares writes are held to the same plain-object conditions as user-files.json', () => {
    const files = renderPolicy('user-files', { PARTITION: 'aws', BUCKET: 'bkt', PREFIX: 'cognito-test' });
    const plain = files.Statement.find((s) => s.Sid === 'WriteOwnObjectsPlainly')!.Condition;
    assert.ok(plain && Object.keys(plain.Null).length === 8);
    assert.deepEqual(bySid('ShareAsMyselfPlainly').Condition, plain);
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
