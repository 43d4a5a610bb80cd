// Template assertions on the synthesized stack (placeholder Lambda asset, cdk.json's flags).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PLACEHOLDER_BOOTSTRAP } from '../lib/lambda-asset';
import { renderPolicy } from '../lib/policies';
import { ReadFileStack } from '../lib/read-file-stack';
import {
  asArray,
  evaluate,
  logicalId,
  newApp,
  onlyOfType,
  policyDocuments,
  quietly,
  resourcesOfType,
  synth,
  type CfnTemplate,
} from './helpers';

const base = synth();
const { stack, json: t } = base;
const ids = {
  bucket: logicalId(stack, stack.bucket),
  logsBucket: logicalId(stack, stack.accessLogsBucket),
  authRole: logicalId(stack, stack.authenticatedRole),
  fnRole: logicalId(stack, stack.functionRole),
  fn: logicalId(stack, stack.function),
  userPool: logicalId(stack, stack.userPool),
  client: logicalId(stack, stack.userPoolClient),
  serverClient: logicalId(stack, stack.managedLogin.webServerClient),
  identityPool: logicalId(stack, stack.identityPool),
  api: logicalId(stack, stack.api),
  table: logicalId(stack, stack.sessionTier!.table),
  stage: logicalId(stack, stack.api.deploymentStage),
};
const res = (id: string) => {
  const r = t.Resources[id];
  assert.ok(r, `resource ${id} exists`);
  return r;
};
const rolePolicy = (roleId: string, name: string) => {
  const p = asArray<any>(res(roleId).Properties!.Policies).find((x) => x.PolicyName === name);
  assert.ok(p, `${roleId} has inline policy ${name}`);
  return p.PolicyDocument;
};
const policiesAttachedTo = (tpl: CfnTemplate, roleId: string) =>
  resourcesOfType(tpl, 'AWS::IAM::Policy').filter(([, r]) =>
    asArray<any>(r.Properties!.Roles).some((x) => x.Ref === roleId));

describe('identity pool and its authenticated role', () => {
  it('allows no unauthenticated identities, no classic flow, server-side token check on', () => {
    const ip = res(ids.identityPool).Properties!;
    assert.equal(ip.AllowUnauthenticatedIdentities, false);
    assert.equal(ip.AllowClassicFlow, false);
    // The user pool once per app client (the web page's, the server-side frontend's): one identity per user.
    assert.deepEqual(ip.CognitoIdentityProviders.map((p: any) => p.ClientId), [{ Ref: ids.client }, { Ref: ids.serverClient }]);
    for (const provider of ip.CognitoIdentityProviders) {
      assert.equal(provider.ServerSideTokenCheck, true);
      assert.equal(evaluate(provider.ProviderName, { 'AWS::Region': 'eu-west-1', 'AWS::URLSuffix': 'amazonaws.com', [ids.userPool]: 'POOL' }),
        'cognito-idp.eu-west-1.amazonaws.com/POOL');
    }
  });

  it('attaches only the authenticated role; no unauthenticated role exists at all', () => {
    const [, att] = onlyOfType(t, 'AWS::Cognito::IdentityPoolRoleAttachment');
    assert.deepEqual(att.Properties!.Roles, { authenticated: { 'Fn::GetAtt': [ids.authRole, 'Arn'] } });
    const cognitoTrusting = resourcesOfType(t, 'AWS::IAM::Role')
      .filter(([, r]) => JSON.stringify(r.Properties!.AssumeRolePolicyDocument).includes('cognito-identity.amazonaws.com'));
    assert.deepEqual(cognitoTrusting.map(([id]) => id), [ids.authRole]);
  });

  it('trust policy equals infra/policies/authenticated-trust.json rendered with this pool', () => {
    const synthesized = evaluate(res(ids.authRole).Properties!.AssumeRolePolicyDocument, { [ids.identityPool]: 'eu-west-1:pool-id' });
    assert.deepEqual(synthesized, renderPolicy('authenticated-trust', { IDENTITY_POOL_ID: 'eu-west-1:pool-id' }));
    // and, spelled out: aud = this pool, amr = authenticated
    const st = synthesized.Statement[0];
    assert.equal(st.Condition!.StringEquals['cognito-identity.amazonaws.com:aud'], 'eu-west-1:pool-id');
    assert.equal(st.Condition!['ForAnyValue:StringLike']['cognito-identity.amazonaws.com:amr'], 'authenticated');
  });

  it('S3 policy equals infra/policies/user-files.json rendered with the bucket name (what the local stack enforces)', () => {
    const synthesized = evaluate(rolePolicy(ids.authRole, 'UserFiles'), { 'AWS::Partition': 'aws', [ids.bucket]: 'my-data-bucket' });
    assert.deepEqual(synthesized, renderPolicy('user-files', { PARTITION: 'aws', BUCKET: 'my-data-bucket', PREFIX: 'cognito-test' }));
  });

  it('sharing policy equals infra/policies/user-shares.json rendered with the bucket, prefix and Region', () => {
    const synthesized = evaluate(rolePolicy(ids.authRole, 'UserShares'),
      { 'AWS::Partition': 'aws', 'AWS::Region': 'eu-west-1', [ids.bucket]: 'my-data-bucket' });
    assert.deepEqual(synthesized, renderPolicy('user-shares',
      { PARTITION: 'aws', BUCKET: 'my-data-bucket', PREFIX: 'cognito-test', REGION: 'eu-west-1' }));
    // The owner segment of a share's key is the writer's own IdentityId; the recipient segment is
    // any IdentityId of the stack's own Region (identity pools issue `<region>:<uuid>`).
    const sub = '${cognito-identity.amazonaws.com:sub}';
    const writes = synthesized.Statement.filter((s: any) => ['s3:PutObject', 's3:DeleteObject'].includes(s.Action));
    assert.deepEqual(writes.map((s: any) => s.Resource), Array(2).fill(
      `arn:aws:s3:::my-data-bucket/cognito-test-shared/eu-west-1:????????-????-????-????-????????????/${sub}/*`));
  });

  it("S3 resources are exactly the caller's sub-scoped ARNs; ListBucket only for the own prefix", () => {
    const doc = evaluate(rolePolicy(ids.authRole, 'UserFiles'), { 'AWS::Partition': 'aws', [ids.bucket]: 'B' });
    const sub = '${cognito-identity.amazonaws.com:sub}';
    const s3Statements = doc.Statement.filter((s: any) => asArray<string>(s.Action).some((a) => a.startsWith('s3:')));
    const objectResources = s3Statements.filter((s: any) => !asArray(s.Action).includes('s3:ListBucket')).flatMap((s: any) => asArray(s.Resource));
    // Objects only inside the caller's folder (read/delete, plain writes, the own multipart uploads):
    // never the bare key cognito-test/<id>.
    assert.deepEqual(objectResources, Array(3).fill(`arn:aws:s3:::B/cognito-test/${sub}/*`));
    const list = s3Statements.filter((s: any) => asArray(s.Action).includes('s3:ListBucket'));
    assert.equal(list.length, 1);
    assert.deepEqual(asArray(list[0].Action), ['s3:ListBucket']);
    assert.equal(list[0].Resource, 'arn:aws:s3:::B');
    assert.deepEqual(list[0].Condition, { StringLike: { 's3:prefix': [`cognito-test/${sub}/`, `cognito-test/${sub}/*`] } });
    // the original deployment's mistake: a bare prefix would let anyone list every user's keys
    assert.ok(!JSON.stringify(list[0].Condition).includes('"cognito-test"'));
  });

  it('may invoke exactly the API\'s routes on this stage, and nothing else besides UserFiles and UserShares', () => {
    const attached = policiesAttachedTo(t, ids.authRole);
    assert.equal(attached.length, 1);
    const doc = evaluate(attached[0][1].Properties!.PolicyDocument, {
      'AWS::Partition': 'aws', 'AWS::Region': 'R', 'AWS::AccountId': 'A', [ids.api]: 'API', [ids.stage]: 'v1',
    });
    const stage = 'arn:aws:execute-api:R:A:API/v1';
    assert.deepEqual(doc.Statement, [{
      Sid: 'InvokeTheApi', Effect: 'Allow', Action: 'execute-api:Invoke', Resource: [
        `${stage}/GET/read-file`, `${stage}/GET/files`, `${stage}/DELETE/files`, `${stage}/GET/files/*`,
        `${stage}/PUT/files/*`, `${stage}/DELETE/files/*`, `${stage}/POST/upload-urls`,
        `${stage}/POST/uploads`, `${stage}/GET/uploads`, `${stage}/GET/uploads/*`, `${stage}/DELETE/uploads/*`,
        `${stage}/POST/uploads/*/parts`, `${stage}/POST/uploads/*/complete`, `${stage}/PUT/folders/*`,
        `${stage}/DELETE/folders/*`, `${stage}/POST/copies`, `${stage}/POST/moves`,
        `${stage}/POST/shares`, `${stage}/GET/shares`, `${stage}/GET/shares/*`, `${stage}/DELETE/shares/*`,
      ],
    }]);
    const props = res(ids.authRole).Properties!;
    assert.deepEqual(props.Policies.map((p: any) => p.PolicyName), ['UserFiles', 'UserShares']);
    assert.equal(props.ManagedPolicyArns, undefined);
  });

  it('uses the s3Prefix prop in the rendered policy and the Lambda environment', () => {
    const other = synth({ s3Prefix: 'users/files' });
    const bucketId = logicalId(other.stack, other.stack.bucket);
    const policies = asArray<any>(other.json.Resources[logicalId(other.stack, other.stack.authenticatedRole)].Properties!.Policies);
    const named = (name: string) => policies.find((p) => p.PolicyName === name).PolicyDocument;
    const names = { 'AWS::Partition': 'aws', 'AWS::Region': 'R', [bucketId]: 'B' };
    assert.deepEqual(evaluate(named('UserFiles'), names), renderPolicy('user-files', { PARTITION: 'aws', BUCKET: 'B', PREFIX: 'users/files' }));
    assert.deepEqual(evaluate(named('UserShares'), names),
      renderPolicy('user-shares', { PARTITION: 'aws', BUCKET: 'B', PREFIX: 'users/files', REGION: 'R' }));
    other.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ S3_PREFIX: 'users/files' }) },
    });
    assert.throws(() => synth({ s3Prefix: '/leading' }), /s3Prefix/);
    assert.throws(() => synth({ s3Prefix: 'x/*' }), /s3Prefix/);
  });
});

describe('the Lambda', () => {
  it('is the Rust function: arm64, provided.al2023, bootstrap, 256 MB, 10 s, JSON logs into its own log group', () => {
    const fn = res(ids.fn).Properties!;
    assert.deepEqual(fn.Architectures, ['arm64']);
    assert.equal(fn.Runtime, 'provided.al2023');
    assert.equal(fn.Handler, 'bootstrap');
    assert.equal(fn.MemorySize, 256);
    assert.equal(fn.Timeout, 10);
    assert.equal(fn.LoggingConfig.LogFormat, 'JSON');
    const logGroup = res(fn.LoggingConfig.LogGroup.Ref);
    assert.equal(logGroup.Type, 'AWS::Logs::LogGroup');
    assert.equal(logGroup.Properties!.RetentionInDays, 30);
    assert.deepEqual(fn.TracingConfig, { Mode: 'Active' }, 'X-Ray on by default');
  });

  it('gets its settings wired from the constructs, no pasted ids', () => {
    const env = res(ids.fn).Properties!.Environment.Variables;
    assert.deepEqual(env, {
      ACCOUNT_ID: { Ref: 'AWS::AccountId' },
      USER_POOL_ID: { Ref: ids.userPool },
      USER_POOL_CLIENT_ID: { 'Fn::Join': [',', [{ Ref: ids.client }, { Ref: ids.serverClient }]] },
      IDENTITY_POOL_ID: { Ref: ids.identityPool },
      S3_BUCKET: { Ref: ids.bucket },
      S3_PREFIX: 'cognito-test',
      ALLOWED_ORIGIN: 'http://localhost:3000',
      // the function's request budget stays 2 s under its 10 s timeout
      REQUEST_TIMEOUT_MS: '8000',
      REQUIRE_SIGNER: 'true',
      USER_CHECK_TTL_SECONDS: '30',
      SESSION_TABLE: { Ref: ids.table },
    });
  });

  it('role: exactly cognito-idp:AdminGetUser on this pool and the session table\'s four item calls (policy source) plus writing its own logs', () => {
    const role = res(ids.fnRole).Properties!;
    assert.deepEqual(role.AssumeRolePolicyDocument.Statement, [
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
    ]);
    assert.equal(role.ManagedPolicyArns, undefined, 'no managed policies');
    // X-Ray (on by default) is the one other policy: xray:Put* (the test 'with X-Ray on' below).
    const others = policiesAttachedTo(t, ids.fnRole).flatMap(([, p]) => p.Properties!.PolicyDocument.Statement);
    assert.deepEqual(others.flatMap((st: any) => st.Action).sort(), ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], 'no other policies attached');
    assert.deepEqual(policiesAttachedTo(synth({ xrayTracing: false }).json, ids.fnRole), [], 'none without X-Ray');
    assert.deepEqual(role.Policies.map((p: any) => p.PolicyName).sort(), ['Logs', 'SessionTable', 'UserCheck']);
    const userPoolArn = 'arn:aws:cognito-idp:R:A:userpool/R_x';
    assert.deepEqual(evaluate(rolePolicy(ids.fnRole, 'UserCheck'), { [`${ids.userPool}.Arn`]: userPoolArn }),
      renderPolicy('lambda-user-check', { USER_POOL_ARN: userPoolArn }));
    const tableArn = 'arn:aws:dynamodb:R:A:table/sessions';
    assert.deepEqual(evaluate(rolePolicy(ids.fnRole, 'SessionTable'), { [`${ids.table}.Arn`]: tableArn }),
      renderPolicy('lambda-session-table', { TABLE_ARN: tableArn }));
    const logGroupId = res(ids.fn).Properties!.LoggingConfig.LogGroup.Ref;
    assert.deepEqual(rolePolicy(ids.fnRole, 'Logs').Statement, [{
      Sid: 'OwnLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
    }]);
  });

  it('may be invoked by API Gateway for this stage\'s routes only, one permission per route', () => {
    const perms = resourcesOfType(t, 'AWS::Lambda::Permission').map(([, r]) => r.Properties!)
      .filter((p) => JSON.stringify(p.FunctionName).includes(ids.fn));
    for (const p of perms) assert.equal(p.Principal, 'apigateway.amazonaws.com');
    const names = { 'AWS::Partition': 'aws', 'AWS::Region': 'R', 'AWS::AccountId': 'A', [ids.api]: 'API', [ids.stage]: 'v1' };
    assert.deepEqual(perms.map((p) => evaluate(p.SourceArn, names)).sort(), [
      'arn:aws:execute-api:R:A:API/v1/DELETE/files',
      'arn:aws:execute-api:R:A:API/v1/DELETE/files/*',
      'arn:aws:execute-api:R:A:API/v1/DELETE/folders/*',
      'arn:aws:execute-api:R:A:API/v1/DELETE/shares/*',
      'arn:aws:execute-api:R:A:API/v1/DELETE/uploads/*',
      'arn:aws:execute-api:R:A:API/v1/GET/files',
      'arn:aws:execute-api:R:A:API/v1/GET/files/*',
      'arn:aws:execute-api:R:A:API/v1/GET/read-file',
      'arn:aws:execute-api:R:A:API/v1/GET/shares',
      'arn:aws:execute-api:R:A:API/v1/GET/shares/*',
      'arn:aws:execute-api:R:A:API/v1/GET/uploads',
      'arn:aws:execute-api:R:A:API/v1/GET/uploads/*',
      'arn:aws:execute-api:R:A:API/v1/POST/copies',
      'arn:aws:execute-api:R:A:API/v1/POST/moves',
      'arn:aws:execute-api:R:A:API/v1/POST/shares',
      'arn:aws:execute-api:R:A:API/v1/POST/upload-urls',
      'arn:aws:execute-api:R:A:API/v1/POST/uploads',
      'arn:aws:execute-api:R:A:API/v1/POST/uploads/*/complete',
      'arn:aws:execute-api:R:A:API/v1/POST/uploads/*/parts',
      'arn:aws:execute-api:R:A:API/v1/PUT/files/*',
      'arn:aws:execute-api:R:A:API/v1/PUT/folders/*',
    ]);
  });

  it('placeholder asset: the bundled bootstrap is the placeholder script', () => {
    const key = res(ids.fn).Properties!.Code.S3Key as string; // <asset hash>.zip
    const bootstrap = readFileSync(path.join(base.app.outdir, `asset.${key.replace(/\.zip$/, '')}`, 'bootstrap'), 'utf8');
    assert.equal(bootstrap, PLACEHOLDER_BOOTSTRAP);
  });

  it('deploy path: the real RustFunction (repo Cargo.toml, cargo-lambda bundling) synthesizes the same function', () => {
    // Bundling skipped the way the CDK CLI does for stacks it does not deploy: no cargo build here,
    // but the construct reads ../../Cargo.toml and sets up `cargo lambda build --release --arm64`.
    const app = newApp({}, { 'aws:cdk:bundling-stacks': [] });
    const real = new ReadFileStack(app, 'TestStack', {});
    const realFn = quietly(() => Template.fromStack(real).toJSON()).Resources[logicalId(real, real.function)].Properties;
    const { Code: _a, ...realRest } = realFn;
    const { Code: _b, ...placeholderRest } = res(ids.fn).Properties!;
    assert.deepEqual(realRest, placeholderRest);
  });
});

describe('the REST API', () => {
  it('every route is AWS_IAM-authorized, a Lambda proxy; the only other methods are the unsigned CORS preflights', () => {
    const methods = resourcesOfType(t, 'AWS::ApiGateway::Method').map(([, r]) => r.Properties!);
    assert.deepEqual(methods.map((m) => m.HttpMethod).sort(),
      [...Array(5).fill('DELETE'), ...Array(7).fill('GET'), ...Array(13).fill('OPTIONS'), ...Array(7).fill('POST'),
        'PUT', 'PUT']);
    for (const m of methods.filter((m) => m.HttpMethod !== 'OPTIONS')) {
      assert.equal(m.AuthorizationType, 'AWS_IAM');
      assert.equal(m.Integration.Type, 'AWS_PROXY');
    }
    for (const options of methods.filter((m) => m.HttpMethod === 'OPTIONS')) {
      assert.equal(options.AuthorizationType, 'NONE');
      assert.equal(options.Integration.Type, 'MOCK');
      // */* is a binary media type: the MOCK template must see the preflight as text.
      assert.equal(options.Integration.ContentHandling, 'CONVERT_TO_TEXT');
    }
    const parts = resourcesOfType(t, 'AWS::ApiGateway::Resource').map(([, r]) => r.Properties!.PathPart).sort();
    assert.deepEqual(parts, ['complete', 'copies', 'files', 'folders', 'moves', 'parts', 'read-file', 'shares', 'upload-urls',
      'uploads', '{id}', '{name+}', '{path+}', '{upload}']);
    const api = onlyOfType(t, 'AWS::ApiGateway::RestApi')[1].Properties!;
    assert.deepEqual(api.BinaryMediaTypes, ['*/*'], 'binary bodies reach the function base64-encoded, intact');
  });

  it('CORS: the frontend origin, idToken and the SigV4 headers; also on gateway errors', () => {
    const options = resourcesOfType(t, 'AWS::ApiGateway::Method').map(([, r]) => r.Properties!).find((m) => m.HttpMethod === 'OPTIONS')!;
    const headers = options.Integration.IntegrationResponses[0].ResponseParameters;
    assert.equal(headers['method.response.header.Access-Control-Allow-Origin'], "'http://localhost:3000'");
    const allowed = headers['method.response.header.Access-Control-Allow-Headers'].replace(/'/g, '').split(',');
    for (const h of ['idToken', 'Authorization', 'X-Amz-Date', 'X-Amz-Security-Token', 'X-Amz-Content-Sha256']) assert.ok(allowed.includes(h), h);
    const gw = resourcesOfType(t, 'AWS::ApiGateway::GatewayResponse').map(([, r]) => r.Properties!);
    assert.deepEqual(gw.map((g) => g.ResponseType).sort(), ['DEFAULT_4XX', 'DEFAULT_5XX']);
    for (const g of gw) assert.equal(g.ResponseParameters['gatewayresponse.header.Access-Control-Allow-Origin'], "'http://localhost:3000'");

    const custom = synth({ frontendOrigin: 'https://app.example.com' });
    custom.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ALLOWED_ORIGIN: 'https://app.example.com' }) },
    });
    custom.template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'OPTIONS',
      Integration: { IntegrationResponses: [Match.objectLike({ ResponseParameters: Match.objectLike({ 'method.response.header.Access-Control-Allow-Origin': "'https://app.example.com'" }) })] },
    });
    assert.throws(() => synth({ frontendOrigin: 'https://app.example.com/' }), /bare origin/);
  });

  it('data bucket: CORS for presigned GET and PUT from the frontend origin only (infra/api/bucket-cors.json)', () => {
    const rule = (template: CfnTemplate) => {
      const buckets = resourcesOfType(template, 'AWS::S3::Bucket').map(([, r]) => r.Properties!).filter((p) => p.CorsConfiguration);
      assert.equal(buckets.length, 1, 'only the data bucket answers CORS');
      return buckets[0].CorsConfiguration.CorsRules;
    };
    assert.deepEqual(rule(t), [{
      AllowedOrigins: ['http://localhost:3000'], AllowedMethods: ['GET', 'PUT'], AllowedHeaders: ['content-type'],
      ExposedHeaders: ['ETag'], MaxAge: 3000,
    }]);
    assert.deepEqual(rule(synth({ frontendOrigin: 'https://app.example.com' }).json)[0].AllowedOrigins, ['https://app.example.com']);
  });

  it('stage: v1 by default, throttled, access-logged to a retained log group, execution logs without data, X-Ray on', () => {
    const stage = res(ids.stage).Properties!;
    assert.equal(stage.StageName, 'v1');
    assert.equal(stage.TracingEnabled, true);
    const ms = stage.MethodSettings[0];
    assert.equal(ms.ThrottlingRateLimit, 20);
    assert.equal(ms.ThrottlingBurstLimit, 40);
    assert.equal(ms.DataTraceEnabled, false);
    assert.ok(stage.AccessLogSetting.DestinationArn);
    const format = JSON.parse(stage.AccessLogSetting.Format);
    assert.equal(format.cognitoIdentityId, '$context.identity.cognitoIdentityId');
    assert.ok(!/header|idToken/i.test(stage.AccessLogSetting.Format), 'access log never records request headers');
    const [, account] = onlyOfType(t, 'AWS::ApiGateway::Account');
    assert.ok(account.Properties!.CloudWatchRoleArn, 'an empty account gets the API Gateway logging role');
  });

  it('stage name, throttling and X-Ray are configurable', () => {
    const s = synth({ stageName: 'prod', xrayTracing: false, throttlingRateLimit: 5, throttlingBurstLimit: 10 });
    s.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: false,
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 })],
    });
    assert.equal(s.json.Resources[logicalId(s.stack, s.stack.function)].Properties!.TracingConfig, undefined);
    const stageId = logicalId(s.stack, s.stack.api.deploymentStage);
    const invoke = resourcesOfType(s.json, 'AWS::IAM::Policy')
      .map(([, r]) => evaluate(r.Properties!.PolicyDocument, { 'AWS::Partition': 'aws', 'AWS::Region': 'R', 'AWS::AccountId': 'A', [logicalId(s.stack, s.stack.api)]: 'API', [stageId]: 'prod' }))
      .flatMap((d) => d.Statement)
      .filter((st: any) => st.Action === 'execute-api:Invoke');
    assert.deepEqual(invoke.flatMap((st: any) => st.Resource), [
      'arn:aws:execute-api:R:A:API/prod/GET/read-file',
      'arn:aws:execute-api:R:A:API/prod/GET/files',
      'arn:aws:execute-api:R:A:API/prod/DELETE/files',
      'arn:aws:execute-api:R:A:API/prod/GET/files/*',
      'arn:aws:execute-api:R:A:API/prod/PUT/files/*',
      'arn:aws:execute-api:R:A:API/prod/DELETE/files/*',
      'arn:aws:execute-api:R:A:API/prod/POST/upload-urls',
      ...['POST/uploads', 'GET/uploads', 'GET/uploads/*', 'DELETE/uploads/*', 'POST/uploads/*/parts',
        'POST/uploads/*/complete', 'PUT/folders/*', 'DELETE/folders/*', 'POST/copies', 'POST/moves',
        'POST/shares', 'GET/shares', 'GET/shares/*', 'DELETE/shares/*']
        .map((route) => `arn:aws:execute-api:R:A:API/prod/${route}`),
    ]);
    assert.throws(() => synth({ stageName: 'bad-name' }), /stageName/);
  });
});

describe('the buckets', () => {
  it('data bucket: public access blocked, encrypted, versioned, access-logged, retained by default', () => {
    const b = res(ids.bucket);
    assert.deepEqual(b.Properties!.PublicAccessBlockConfiguration, {
      BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
    });
    assert.equal(b.Properties!.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm, 'AES256');
    assert.equal(b.Properties!.VersioningConfiguration.Status, 'Enabled');
    assert.deepEqual(b.Properties!.LoggingConfiguration.DestinationBucketName, { Ref: ids.logsBucket });
    assert.equal(b.DeletionPolicy, 'Retain');
    assert.equal(res(ids.logsBucket).DeletionPolicy, 'Retain');
    assert.deepEqual(res(ids.logsBucket).Properties!.PublicAccessBlockConfiguration, b.Properties!.PublicAccessBlockConfiguration);
  });

  it('both buckets deny every request that is not over TLS', () => {
    for (const bucketId of [ids.bucket, ids.logsBucket]) {
      const [, policy] = resourcesOfType(t, 'AWS::S3::BucketPolicy').find(([, r]) => r.Properties!.Bucket.Ref === bucketId)!;
      const deny = policy.Properties!.PolicyDocument.Statement.find((s: any) => s.Condition?.Bool?.['aws:SecureTransport'] === 'false');
      assert.ok(deny, `${bucketId} has a TLS-only statement`);
      assert.equal(deny.Effect, 'Deny');
      assert.deepEqual(deny.Principal, { AWS: '*' });
      assert.equal(deny.Action, 's3:*');
      assert.deepEqual(evaluate(deny.Resource), [`<${bucketId}.Arn>`, `<${bucketId}.Arn>/*`]);
    }
  });

  it('removal policy is configurable', () => {
    const s = synth({ removalPolicy: RemovalPolicy.DESTROY });
    for (const [, r] of [...resourcesOfType(s.json, 'AWS::S3::Bucket'), ...resourcesOfType(s.json, 'AWS::Cognito::UserPool')]) {
      assert.equal(r.DeletionPolicy, 'Delete');
    }
    s.template.hasResourceProperties('AWS::Cognito::UserPool', { DeletionProtection: 'INACTIVE' });
    base.template.hasResourceProperties('AWS::Cognito::UserPool', { DeletionProtection: 'ACTIVE' });
  });
});

describe('the user pool', () => {
  it('no self sign-up by default, a strong password policy, optional TOTP MFA', () => {
    const up = res(ids.userPool).Properties!;
    assert.equal(up.AdminCreateUserConfig.AllowAdminCreateUserOnly, true);
    assert.deepEqual(up.Policies.PasswordPolicy, {
      MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true,
      TemporaryPasswordValidityDays: 3,
    });
    assert.equal(up.MfaConfiguration, 'OPTIONAL');
    assert.deepEqual(up.EnabledMfas, ['SOFTWARE_TOKEN_MFA']);
  });

  it('self sign-up and MFA are configurable', () => {
    const s = synth({ selfSignUpEnabled: true, mfa: 'required' });
    s.template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
      MfaConfiguration: 'ON',
    });
  });

  it('app client: SRP and ADMIN_USER_PASSWORD_AUTH, no secret, no OAuth, token revocation on', () => {
    const c = res(ids.client).Properties!;
    assert.deepEqual([...c.ExplicitAuthFlows].sort(), ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH']);
    assert.equal(c.GenerateSecret, false);
    assert.equal(c.AllowedOAuthFlowsUserPoolClient, false);
    assert.equal(c.EnableTokenRevocation, true, "the web page's sign-out revokes its refresh token (RevokeToken)");
  });
});

describe('least privilege across the whole template', () => {
  // Every wildcard in an IAM policy of this stack, and why AWS leaves no narrower choice.
  const JUSTIFIED: { what: string; why: string; matches: (st: any, where: string) => boolean }[] = [
    {
      what: 'Deny s3:* to Principal * without TLS (bucket policies)',
      why: 'a Deny: the wildcards widen what is refused, not what is allowed',
      matches: (st) => st.Effect === 'Deny',
    },
    {
      what: "authenticated role: objects below the caller's own folder",
      why: "the object keys are the user's to choose; ${cognito-identity.amazonaws.com:sub} pins the folder to the caller",
      matches: (st, where) => where === `${ids.authRole}.Policies.UserFiles`
        && ['ReadAndDeleteOwnObjects', 'WriteOwnObjectsPlainly', 'OwnMultipartUploads'].includes(st.Sid),
    },
    {
      what: 'authenticated role: the copies shared with the caller (read)',
      why: "the file names are the owners' to choose; ${cognito-identity.amazonaws.com:sub} pins the recipient folder to the caller",
      matches: (st, where) => where === `${ids.authRole}.Policies.UserShares` && st.Sid === 'ReadWhatIsSharedWithMe',
    },
    {
      what: 'authenticated role: sharing writes and revokes under <prefix>-shared/<recipient>/<own IdentityId>/',
      why: 'the recipient is any IdentityId of the Region, matched by a fixed-length ? pattern that cannot cross a /; '
        + 'the owner segment is ${cognito-identity.amazonaws.com:sub}, so a share always names its writer',
      matches: (st, where) => where === `${ids.authRole}.Policies.UserShares`
        && ['ShareAsMyselfPlainly', 'RevokeMyShares'].includes(st.Sid)
        && asArray<string>(st.Resource).every((r) =>
          r.endsWith('-shared/<AWS::Region>:????????-????-????-????-????????????/${cognito-identity.amazonaws.com:sub}/*')),
    },
    {
      what: 'authenticated role: invoking the routes of this API stage that take a path parameter',
      why: 'the parameter is a file or folder name, an upload handle or a share id, any of the caller\'s; method and route are fixed (infra/api/api.json)',
      matches: (st) => asArray<string>(st.Action).includes('execute-api:Invoke')
        && asArray<string>(st.Resource).filter((r) => r.includes('*')).every((r) =>
          /\/((GET|PUT|DELETE)\/files|GET\/uploads|DELETE\/uploads|POST\/uploads\/\*\/(parts|complete)|(PUT|DELETE)\/folders|(GET|DELETE)\/shares)(\/\*)?$/.test(r)),
    },
    {
      what: "X-Ray (on by default): the function's segments",
      why: 'xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions',
      matches: (st, where) => /^ReadFileFunctionRoleDefaultPolicy[0-9A-F]{8}$/.test(where)
        && [...asArray<string>(st.Action)].sort().join() === 'xray:PutTelemetryRecords,xray:PutTraceSegments',
    },
    {
      what: 'S3 server access log delivery into the log bucket',
      why: 'S3 names the log objects itself; the grant is limited to the data-bucket/ prefix and to the data bucket as source',
      matches: (st) => st.Principal?.Service === 'logging.s3.amazonaws.com' && st.Action === 's3:PutObject'
        && st.Condition?.ArnLike?.['aws:SourceArn'] !== undefined,
    },
  ];

  function wildcards(tpl: CfnTemplate) {
    const found: { where: string; st: any; what: string[] }[] = [];
    for (const { where, doc } of policyDocuments(tpl)) {
      for (const st of evaluate(doc).Statement) {
        const what = [
          ...asArray<string>(st.Action).filter((a) => a.includes('*')).map((a) => `Action ${a}`),
          ...asArray<string>(st.NotAction).map((a) => `NotAction ${a}`),
          ...asArray<string>(st.Resource).filter((r) => r.includes('*')).map((r) => `Resource ${r}`),
          ...asArray<string>(st.NotResource).map((r) => `NotResource ${r}`),
          ...(JSON.stringify(st.Principal ?? {}).includes('"*"') ? ['Principal *'] : []),
        ];
        if (what.length > 0) found.push({ where, st, what });
      }
    }
    return found;
  }

  it('no wildcard action, resource or principal except the justified ones', () => {
    const found = wildcards(t);
    for (const f of found) {
      assert.ok(JUSTIFIED.some((j) => j.matches(f.st, f.where)), `unjustified wildcard in ${f.where}: ${f.what.join(', ')}`);
    }
    for (const j of JUSTIFIED) assert.ok(found.some((f) => j.matches(f.st, f.where)), `stale justification: ${j.what}`);
  });

  it('no Allow with NotAction/NotResource, no managed policy except API Gateway\'s logging role', () => {
    for (const { where, doc } of policyDocuments(t)) {
      for (const st of doc.Statement) assert.ok(!st.NotAction && !st.NotResource && !st.NotPrincipal, where);
    }
    const withManaged = resourcesOfType(t, 'AWS::IAM::Role').filter(([, r]) => r.Properties!.ManagedPolicyArns);
    assert.deepEqual(withManaged.map(([id]) => id), [logicalId(stack, stack.api.node.findChild('CloudWatchRole') as any)]);
    assert.deepEqual(evaluate(withManaged[0][1].Properties!.ManagedPolicyArns, { 'AWS::Partition': 'aws' }),
      ['arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs']);
  });

  it('with X-Ray on (the default), the one extra wildcard is xray:Put* on Resource * (X-Ray has no resource-level permissions)', () => {
    const s = synth();
    const fnRole = logicalId(s.stack, s.stack.functionRole);
    const extra = policiesAttachedTo(s.json, fnRole);
    assert.equal(extra.length, 1);
    const statements = extra[0][1].Properties!.PolicyDocument.Statement;
    assert.equal(statements.length, 1);
    assert.deepEqual([...statements[0].Action].sort(), ['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    assert.equal(statements[0].Effect, 'Allow');
    assert.equal(statements[0].Resource, '*');
  });
});

describe('stack outputs', () => {
  it('API URL and id, user pool, client, identity pool, bucket, region, account, origin, user-check bound', () => {
    const outputs = Object.keys(t.Outputs ?? {}).sort();
    assert.deepEqual(outputs, ['AccountId', 'AllowedOrigin', 'ApiId', 'ApiUrl', 'BucketName', 'DashboardName', 'IdentityPoolId', 'ManagedLoginUrl',
      'OidcDiscoveryUrl', 'OidcIssuer', 'ReadFileUrl', 'Region', 'S3Prefix', 'SessionTable', 'UserCheckTtlSeconds', 'UserPoolClientId', 'UserPoolId',
      'UserPoolProviderName', 'WebServerCallbackUrl', 'WebServerClientId', 'WebServerLogoutUrl']);
    assert.deepEqual(t.Outputs!.ApiId.Value, { Ref: ids.api });
    assert.deepEqual(t.Outputs!.AccountId.Value, { Ref: 'AWS::AccountId' });
    assert.equal(t.Outputs!.AllowedOrigin.Value, 'http://localhost:3000');
    assert.deepEqual(t.Outputs!.IdentityPoolId.Value, { Ref: ids.identityPool });
    assert.deepEqual(t.Outputs!.BucketName.Value, { Ref: ids.bucket });
    assert.deepEqual(t.Outputs!.Region.Value, { Ref: 'AWS::Region' });
  });
});
