// Issue 17 §2-3 in the template: the data bucket's lifecycle, who may read the S3 access logs, what
// the API's access log records, and the per-caller rate limit (AWS WAF) on the stage.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOG_READ_ACTIONS, WAF_KEY_HEADER } from '../lib/read-file-stack';
import { evaluate, logicalId, onlyOfType, resourcesOfType, synth, type CfnTemplate } from './helpers';

const base = synth();
const t = base.json;
const bucketId = logicalId(base.stack, base.stack.bucket);
const logsId = logicalId(base.stack, base.stack.accessLogsBucket);

const rules = (tpl: CfnTemplate, id: string) => tpl.Resources[id].Properties!.LifecycleConfiguration.Rules as any[];
const bucketPolicy = (tpl: CfnTemplate, id: string) => {
  const found = resourcesOfType(tpl, 'AWS::S3::BucketPolicy').find(([, r]) => r.Properties!.Bucket.Ref === id);
  assert.ok(found, `${id} has a bucket policy`);
  return found[1].Properties!.PolicyDocument.Statement as any[];
};

describe('data bucket lifecycle', () => {
  it('aborts incomplete multipart uploads after 1 day, expires noncurrent versions after 30, removes expired delete markers', () => {
    assert.deepEqual(rules(t, bucketId), [
      { Id: 'AbortIncompleteUploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' },
      { Id: 'ExpireNoncurrentVersions', NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' },
      { Id: 'RemoveExpiredDeleteMarkers', ExpiredObjectDeleteMarker: true, Status: 'Enabled' },
    ]);
  });

  it('every rule covers the whole bucket (no prefix or tag filter), and nothing expires current objects', () => {
    for (const r of rules(t, bucketId)) {
      assert.equal(r.Prefix, undefined);
      assert.equal(r.TagFilters, undefined);
      assert.equal(r.ExpirationInDays, undefined, "a user's current files never expire");
      assert.equal(r.ExpirationDate, undefined);
    }
  });

  it('the noncurrent-version window is configurable; a bad value fails synth', () => {
    const s = synth({ noncurrentVersionDays: 7 });
    assert.equal(rules(s.json, logicalId(s.stack, s.stack.bucket))[1].NoncurrentVersionExpiration.NoncurrentDays, 7);
    assert.throws(() => synth({ noncurrentVersionDays: 0 }), /noncurrentVersionDays/);
    assert.throws(() => synth({ noncurrentVersionDays: 1.5 }), /noncurrentVersionDays/);
  });
});

describe('S3 access-log bucket: the logs hold presigned URLs, so nobody reads them but named principals', () => {
  const denyRead = (tpl: CfnTemplate, id: string) => {
    const st = bucketPolicy(tpl, id).find((s) => s.Sid === 'OnlyNamedReadersReadAccessLogs');
    assert.ok(st, 'the read-deny statement is there');
    return st;
  };

  it('by default every principal is denied every action that returns log content', () => {
    const st = denyRead(t, logsId);
    assert.equal(st.Effect, 'Deny');
    assert.deepEqual(st.Principal, { AWS: '*' });
    assert.deepEqual([...st.Action].sort(), [...LOG_READ_ACTIONS].sort());
    assert.deepEqual(evaluate(st.Resource), `<${logsId}.Arn>/*`);
    assert.equal(st.Condition, undefined, 'no exception: not even the account administrators read them');
  });

  it('context logReaders: only those principals are exempt (aws:PrincipalArn, so a role covers its sessions)', () => {
    const readers = ['arn:aws:iam::123456789012:role/Auditors', 'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*'];
    const s = synth({ logReaders: readers });
    const st = denyRead(s.json, logicalId(s.stack, s.stack.accessLogsBucket));
    assert.deepEqual(st.Condition, { ArnNotLike: { 'aws:PrincipalArn': readers } });
    assert.throws(() => synth({ logReaders: ['Auditors'] }), /logReaders/);
    assert.throws(() => synth({ logReaders: ['arn:aws:s3:::some-bucket'] }), /logReaders/);
  });

  it('log delivery still writes (PutObject only, from the data bucket, under data-bucket/), and nothing else is allowed', () => {
    const allows = bucketPolicy(t, logsId).filter((s) => s.Effect === 'Allow');
    assert.equal(allows.length, 1);
    const [delivery] = allows;
    assert.deepEqual(delivery.Principal, { Service: 'logging.s3.amazonaws.com' });
    assert.equal(delivery.Action, 's3:PutObject');
    assert.deepEqual(evaluate(delivery.Resource), `<${logsId}.Arn>/data-bucket/*`);
    assert.deepEqual(evaluate(delivery.Condition.ArnLike['aws:SourceArn']), `<${bucketId}.Arn>`);
    for (const action of LOG_READ_ACTIONS) assert.ok(!JSON.stringify(delivery.Action).includes(action));
  });

  it('no public access, TLS only, logs expire (90 days by default, configurable), the data bucket logs into it', () => {
    const logs = t.Resources[logsId].Properties!;
    assert.deepEqual(logs.PublicAccessBlockConfiguration, {
      BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
    });
    const tls = bucketPolicy(t, logsId).find((s) => s.Condition?.Bool?.['aws:SecureTransport'] === 'false');
    assert.equal(tls?.Effect, 'Deny');
    assert.deepEqual(rules(t, logsId).map((r) => r.ExpirationInDays), [90]);
    const s = synth({ accessLogExpirationDays: 14 });
    assert.deepEqual(rules(s.json, logicalId(s.stack, s.stack.accessLogsBucket)).map((r) => r.ExpirationInDays), [14]);
    assert.throws(() => synth({ accessLogExpirationDays: 0 }), /accessLogExpirationDays/);
  });
});

describe("the API's access log", () => {
  const format = () => {
    const [, stage] = onlyOfType(t, 'AWS::ApiGateway::Stage');
    return stage.Properties!.AccessLogSetting.Format as string;
  };

  it('records exactly these fields: the route template, never the path, query string, headers or claims', () => {
    assert.deepEqual(JSON.parse(format()), {
      requestId: '$context.requestId',
      requestTime: '$context.requestTime',
      sourceIp: '$context.identity.sourceIp',
      httpMethod: '$context.httpMethod',
      resourcePath: '$context.resourcePath',
      status: '$context.status',
      responseLength: '$context.responseLength',
      responseLatency: '$context.responseLatency',
      integrationStatus: '$context.integrationStatus',
      errorType: '$context.error.responseType',
      cognitoIdentityId: '$context.identity.cognitoIdentityId',
      userArn: '$context.identity.userArn',
      wafResponseCode: '$context.wafResponseCode',
    });
  });

  it('no variable that could carry a token, a signature or a file name', () => {
    // $context.path holds the file name; $method.request.* and $input.* the headers and query string
    // (idToken, X-Amz-Security-Token, X-Amz-Signature of a query-signed call); the authorizer's claims.
    for (const forbidden of [/\$context\.path\b/, /\$method\.request/, /\$input\./, /querystring/i, /header/i,
      /idToken/i, /security-?token/i, /signature/i, /\$context\.authorizer/, /accessKey/, /\$context\.requestOverride/]) {
      assert.doesNotMatch(format(), forbidden);
    }
  });
});

describe('per-caller rate limit: an AWS WAF web ACL on the stage', () => {
  const acl = (tpl: CfnTemplate) => onlyOfType(tpl, 'AWS::WAFv2::WebACL')[1].Properties!;

  it('is associated with this stage', () => {
    const [aclId] = onlyOfType(t, 'AWS::WAFv2::WebACL');
    const [, assoc] = onlyOfType(t, 'AWS::WAFv2::WebACLAssociation');
    assert.deepEqual(assoc.Properties!.WebACLArn, { 'Fn::GetAtt': [aclId, 'Arn'] });
    const stageId = logicalId(base.stack, base.stack.api.deploymentStage);
    assert.equal(evaluate(assoc.Properties!.ResourceArn, { 'AWS::Partition': 'aws', 'AWS::Region': 'R', [logicalId(base.stack, base.stack.api)]: 'API', [stageId]: 'v1' }),
      'arn:aws:apigateway:R::/restapis/API/stages/v1');
    assert.equal(acl(t).Scope, 'REGIONAL');
    assert.deepEqual(acl(t).DefaultAction, { Allow: {} });
  });

  it('one rule: rate-based, keyed on the X-Amz-Security-Token header alone, 100 per 60 s by default', () => {
    const ruleList = acl(t).Rules;
    assert.equal(ruleList.length, 1, 'one rule: one $1/month');
    const rbs = ruleList[0].Statement.RateBasedStatement;
    assert.equal(rbs.AggregateKeyType, 'CUSTOM_KEYS');
    assert.deepEqual(rbs.CustomKeys, [{ Header: { Name: WAF_KEY_HEADER, TextTransformations: [{ Priority: 0, Type: 'NONE' }] } }]);
    assert.equal(WAF_KEY_HEADER, 'x-amz-security-token');
    assert.equal(rbs.Limit, 100);
    assert.equal(rbs.EvaluationWindowSec, 60);
    assert.equal(rbs.ScopeDownStatement, undefined);
  });

  it('answers 429 with the API\'s JSON error shape, CORS for the frontend and Retry-After', () => {
    const a = acl(t);
    const block = a.Rules[0].Action.Block.CustomResponse;
    assert.equal(block.ResponseCode, 429);
    const body = a.CustomResponseBodies[block.CustomResponseBodyKey];
    assert.equal(body.ContentType, 'APPLICATION_JSON');
    assert.deepEqual(JSON.parse(body.Content), {
      status: 'error', error: { code: 'rate_limited', message: 'too many requests from these credentials; retry later' },
    });
    const headers = Object.fromEntries(block.ResponseHeaders.map((h: any) => [h.Name, h.Value]));
    assert.deepEqual(headers, { 'Access-Control-Allow-Origin': 'http://localhost:3000', Vary: 'Origin', 'Retry-After': '60' });
  });

  it('keeps no sampled requests (WAF would store whole requests, tokens included); metrics on', () => {
    const a = acl(t);
    for (const v of [a.VisibilityConfig, a.Rules[0].VisibilityConfig]) {
      assert.equal(v.SampledRequestsEnabled, false);
      assert.equal(v.CloudWatchMetricsEnabled, true);
    }
    assert.equal(resourcesOfType(t, 'AWS::WAFv2::LoggingConfiguration').length, 0, 'no WAF logs (they would record the headers)');
  });

  it('limit and window come from context; values WAF refuses fail synth; it can be switched off', () => {
    const s = synth({ waf: { rateLimit: 500, windowSeconds: 300 }, frontendOrigin: 'https://app.example.com' });
    const a = acl(s.json);
    assert.equal(a.Rules[0].Statement.RateBasedStatement.Limit, 500);
    assert.equal(a.Rules[0].Statement.RateBasedStatement.EvaluationWindowSec, 300);
    const headers = Object.fromEntries(a.Rules[0].Action.Block.CustomResponse.ResponseHeaders.map((h: any) => [h.Name, h.Value]));
    assert.equal(headers['Access-Control-Allow-Origin'], 'https://app.example.com');
    assert.equal(headers['Retry-After'], '300');
    assert.throws(() => synth({ waf: { rateLimit: 9 } }), /wafRateLimit/);
    assert.throws(() => synth({ waf: { windowSeconds: 30 } }), /wafWindowSeconds/);
    const off = synth({ waf: { enabled: false } });
    assert.equal(resourcesOfType(off.json, 'AWS::WAFv2::WebACL').length, 0);
    assert.equal(resourcesOfType(off.json, 'AWS::WAFv2::WebACLAssociation').length, 0);
  });
});

describe('the user-check bound the smoke check reads', () => {
  it('USER_CHECK_TTL_SECONDS is set on the function and output, 30 with the shared tier and 60 without by default, configurable within 0..3600', () => {
    // The read-file function (the revocations function has no USER_CHECK_TTL_SECONDS).
    const env = (tpl: CfnTemplate) => {
      const fns = resourcesOfType(tpl, 'AWS::Lambda::Function').filter(([, f]) => f.Properties?.Environment?.Variables?.REQUIRE_SIGNER);
      assert.equal(fns.length, 1);
      return fns[0][1].Properties!.Environment.Variables;
    };
    assert.equal(env(t).USER_CHECK_TTL_SECONDS, '30');
    assert.equal(t.Outputs!.UserCheckTtlSeconds.Value, '30');
    const alone = synth({ sessionTier: false });
    assert.equal(env(alone.json).USER_CHECK_TTL_SECONDS, '60');
    assert.equal(alone.json.Outputs!.UserCheckTtlSeconds.Value, '60');
    assert.equal(alone.json.Outputs!.SessionTable, undefined);
    const s = synth({ userCheckTtlSeconds: 5 });
    assert.equal(env(s.json).USER_CHECK_TTL_SECONDS, '5');
    assert.equal(s.json.Outputs!.UserCheckTtlSeconds.Value, '5');
    assert.throws(() => synth({ userCheckTtlSeconds: 3601 }), /userCheckTtlSeconds/);
    assert.throws(() => synth({ userCheckTtlSeconds: -1 }), /userCheckTtlSeconds/);
  });
});
