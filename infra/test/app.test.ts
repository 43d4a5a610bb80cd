// bin/app.ts's settings: context values (and READ_FILE_LAMBDA_ASSET) reach the stack, bad ones fail.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, cdkJsonContext, DEFAULT_STACK_NAME } from '../lib/app';
import { quietly, tempOutdir } from './helpers';

const build = (context: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) =>
  quietly(() => buildApp({ context: { ...cdkJsonContext(), ...context }, outdir: tempOutdir() }, env));

describe('app settings', () => {
  it('READ_FILE_LAMBDA_ASSET=placeholder selects the placeholder; the context value wins over it', () => {
    assert.equal(build({}, { READ_FILE_LAMBDA_ASSET: 'placeholder' }).stack.stackName, DEFAULT_STACK_NAME);
    assert.throws(() => build({ lambdaAsset: '/nonexistent/bootstrap' }, { READ_FILE_LAMBDA_ASSET: 'placeholder' }), /does not exist/);
  });

  it('context values reach the stack; the app synthesizes with cdk-nag attached', () => {
    const { app, stack } = build({
      lambdaAsset: 'placeholder', stackName: 'Other', stageName: 'prod', s3Prefix: 'files',
      frontendOrigin: 'https://app.example.com', selfSignUp: 'true', mfa: 'off', removalPolicy: 'destroy',
      xray: 'true', throttleRate: '5', throttleBurst: '7',
    });
    assert.equal(stack.stackName, 'Other');
    const t = quietly(() => Template.fromStack(stack));
    t.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'prod', TracingEnabled: true });
    t.hasResourceProperties('AWS::Cognito::UserPool', { MfaConfiguration: 'OFF', AdminCreateUserConfig: { AllowAdminCreateUserOnly: false } });
    t.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    assert.equal(stack.s3Prefix, 'files');
    const stage = Object.values(t.findResources('AWS::ApiGateway::Stage'))[0] as any;
    assert.equal(stage.Properties.MethodSettings[0].ThrottlingRateLimit, 5);
    assert.equal(stage.Properties.MethodSettings[0].ThrottlingBurstLimit, 7);
    quietly(() => app.synth()); // cdk-nag clean with these settings too
  });

  for (const [name, value, message] of [
    ['mfa', 'sometimes', /mfa/], ['selfSignUp', 'yes', /selfSignUp/], ['removalPolicy', 'snapshot', /removalPolicy/],
    ['xray', '1', /xray/], ['throttleRate', '-1', /throttleRate/], ['stageName', 'v-1', /stageName/],
  ] as const) {
    it(`rejects ${name}=${value}`, () => {
      assert.throws(() => build({ lambdaAsset: 'placeholder', [name]: value }), message);
    });
  }
});
