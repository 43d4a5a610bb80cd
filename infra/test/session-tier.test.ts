// The shared session tier (issue 19): the table from infra/tables/session.json, the revocations
// function with exactly its grant, the EventBridge rule on the user pool's revoking calls, the
// trail behind its switch, and the read-file function's exact grant on the table.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderPolicy } from '../lib/policies';
import { REVOKING_CALLS, loadSessionTable } from '../lib/session-tier';
import { asArray, evaluate, logicalId, onlyOfType, resourcesOfType, synth } from './helpers';

const { stack, json: t } = synth();
const tier = stack.sessionTier!;
const ids = {
  table: logicalId(stack, tier.table),
  revocations: logicalId(stack, tier.revocations),
  revocationsRole: logicalId(stack, tier.revocationsRole),
  rule: logicalId(stack, tier.rule),
  userPool: logicalId(stack, stack.userPool),
  fnRole: logicalId(stack, stack.functionRole),
};
const res = (id: string) => {
  const r = t.Resources[id];
  assert.ok(r, `resource ${id} exists`);
  return r;
};
const policy = (roleId: string, name: string) =>
  asArray<any>(res(roleId).Properties!.Policies).find((p) => p.PolicyName === name)?.PolicyDocument;
const TABLE_ARN = 'arn:aws:dynamodb:R:A:table/sessions';

describe('the session table', () => {
  it('is the one infra/tables/session.json defines: on demand, pk/sk strings, the TTL attribute', () => {
    const spec = loadSessionTable();
    const [id, table] = onlyOfType(t, 'AWS::DynamoDB::Table');
    assert.equal(id, ids.table);
    const p = table.Properties!;
    assert.equal(p.BillingMode, 'PAY_PER_REQUEST');
    assert.deepEqual(p.KeySchema, [
      { AttributeName: spec.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: spec.sortKey.name, KeyType: 'RANGE' },
    ]);
    assert.deepEqual(p.AttributeDefinitions, [
      { AttributeName: spec.partitionKey.name, AttributeType: spec.partitionKey.type },
      { AttributeName: spec.sortKey.name, AttributeType: spec.sortKey.type },
    ]);
    assert.deepEqual(p.TimeToLiveSpecification, { AttributeName: spec.timeToLiveAttribute, Enabled: true });
    assert.equal(p.ProvisionedThroughput, undefined);
    assert.equal(table.DeletionPolicy, 'Delete', 'a cache: nothing in it is lost with it');
  });

  it('the read-file function may get, batch-get, put and update its items, nothing else', () => {
    const doc = evaluate(policy(ids.fnRole, 'SessionTable'), { [`${ids.table}.Arn`]: TABLE_ARN });
    assert.deepEqual(doc, renderPolicy('lambda-session-table', { TABLE_ARN }));
    assert.deepEqual(doc.Statement.map((s: any) => [[...s.Action].sort(), s.Resource]), [[
      ['dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      TABLE_ARN,
    ]]);
    // And no other principal of the stack touches the table but the revocations function.
    const granted = resourcesOfType(t, 'AWS::IAM::Role')
      .filter(([, r]) => JSON.stringify(r.Properties!.Policies ?? []).includes(ids.table))
      .map(([id]) => id).sort();
    assert.deepEqual(granted, [ids.fnRole, ids.revocationsRole].sort());
  });
});

describe('the revocations function', () => {
  it('is the crate\'s revocations binary: arm64, provided.al2023, its pool and table wired in', () => {
    const fn = res(ids.revocations).Properties!;
    assert.deepEqual(fn.Architectures, ['arm64']);
    assert.equal(fn.Runtime, 'provided.al2023');
    assert.equal(fn.Handler, 'bootstrap');
    assert.equal(fn.LoggingConfig.LogFormat, 'JSON');
    assert.deepEqual(fn.Environment.Variables, {
      USER_POOL_ID: { Ref: ids.userPool },
      SESSION_TABLE: { Ref: ids.table },
    });
    assert.deepEqual(fn.Role, { 'Fn::GetAtt': [ids.revocationsRole, 'Arn'] });
  });

  it('role: update a verdict, query and delete a user\'s sealed keys (policy source), its own logs', () => {
    const role = res(ids.revocationsRole).Properties!;
    assert.deepEqual(role.AssumeRolePolicyDocument.Statement, [
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
    ]);
    assert.equal(role.ManagedPolicyArns, undefined);
    assert.deepEqual(role.Policies.map((p: any) => p.PolicyName).sort(), ['Logs', 'SessionTable']);
    const doc = evaluate(policy(ids.revocationsRole, 'SessionTable'), { [`${ids.table}.Arn`]: TABLE_ARN });
    assert.deepEqual(doc, renderPolicy('revocations-session-table', { TABLE_ARN }));
    assert.deepEqual([...doc.Statement[0].Action].sort(), ['dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    const logGroup = res(ids.revocations).Properties!.LoggingConfig.LogGroup.Ref;
    assert.deepEqual(policy(ids.revocationsRole, 'Logs').Statement, [{
      Sid: 'OwnLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: { 'Fn::GetAtt': [logGroup, 'Arn'] },
    }]);
    const attached = resourcesOfType(t, 'AWS::IAM::Policy')
      .filter(([, r]) => asArray<any>(r.Properties!.Roles).some((x) => x.Ref === ids.revocationsRole));
    assert.deepEqual(attached, []);
  });

  it('may be invoked by EventBridge for the rule only', () => {
    const perms = resourcesOfType(t, 'AWS::Lambda::Permission').map(([, r]) => r.Properties!)
      .filter((p) => JSON.stringify(p.FunctionName).includes(ids.revocations));
    assert.deepEqual(perms.map((p) => [p.Action, p.Principal, p.SourceArn]), [
      ['lambda:InvokeFunction', 'events.amazonaws.com', { 'Fn::GetAtt': [ids.rule, 'Arn'] }],
    ]);
  });
});

describe('the rule', () => {
  it('sends the user pool\'s successful revoking calls, as CloudTrail records them, to the function', () => {
    const rule = res(ids.rule).Properties!;
    assert.equal(rule.State, 'ENABLED');
    assert.deepEqual(rule.EventPattern, {
      source: ['aws.cognito-idp'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['cognito-idp.amazonaws.com'],
        eventName: [...REVOKING_CALLS],
        errorCode: [{ exists: false }],
      },
    });
    assert.deepEqual([...REVOKING_CALLS].sort(), [
      'AdminDeleteUser', 'AdminDisableUser', 'AdminEnableUser', 'AdminUserGlobalSignOut', 'DeleteUser', 'GlobalSignOut',
    ]);
    assert.equal(rule.Targets.length, 1);
    assert.deepEqual(rule.Targets[0].Arn, { 'Fn::GetAtt': [ids.revocations, 'Arn'] });
    assert.deepEqual(rule.Targets[0].RetryPolicy, { MaximumEventAgeInSeconds: 900, MaximumRetryAttempts: 8 });
  });
});

describe('the switches', () => {
  it('no trail by default (an account with a trail already needs none)', () => {
    assert.equal(resourcesOfType(t, 'AWS::CloudTrail::Trail').length, 0);
  });

  it('trail: one trail of the management write events, logging, validated, KMS-encrypted', () => {
    const withTrail = synth({ trail: true });
    const [, trail] = onlyOfType(withTrail.json, 'AWS::CloudTrail::Trail');
    const p = trail.Properties!;
    assert.equal(p.IsLogging, true);
    assert.equal(p.EnableLogFileValidation, true);
    assert.ok(p.KMSKeyId, 'encrypted with its own key');
    assert.deepEqual(p.EventSelectors, [{ IncludeManagementEvents: true, ReadWriteType: 'WriteOnly' }]);
    const [, key] = onlyOfType(withTrail.json, 'AWS::KMS::Key');
    assert.equal(key.Properties!.EnableKeyRotation, true);
  });

  it('sessionTier=false: no table, no rule, no second function, the read-file function as before', () => {
    const off = synth({ sessionTier: false });
    assert.equal(off.stack.sessionTier, undefined);
    for (const type of ['AWS::DynamoDB::Table', 'AWS::Events::Rule', 'AWS::CloudTrail::Trail']) {
      assert.equal(resourcesOfType(off.json, type).length, 0, type);
    }
    assert.equal(resourcesOfType(off.json, 'AWS::Lambda::Function').length, 1);
    const fn = off.json.Resources[logicalId(off.stack, off.stack.function)].Properties!;
    assert.equal(fn.Environment.Variables.SESSION_TABLE, undefined);
    const role = off.json.Resources[logicalId(off.stack, off.stack.functionRole)].Properties!;
    assert.deepEqual(role.Policies.map((x: any) => x.PolicyName).sort(), ['Logs', 'UserCheck']);
    assert.throws(() => synth({ sessionTier: false, trail: true }), /trail/);
  });
});
