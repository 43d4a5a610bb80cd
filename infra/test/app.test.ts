// bin/app.ts's settings: context values (and READ_FILE_LAMBDA_ASSET) reach the stack, bad ones fail.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
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
      xray: 'false', throttleRate: '5', throttleBurst: '7',
    });
    assert.equal(stack.stackName, 'Other');
    const t = quietly(() => Template.fromStack(stack));
    t.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'prod', TracingEnabled: false });
    t.hasResourceProperties('AWS::Cognito::UserPool', { MfaConfiguration: 'OFF', AdminCreateUserConfig: { AllowAdminCreateUserOnly: false } });
    t.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    assert.equal(stack.s3Prefix, 'files');
    const stage = Object.values(t.findResources('AWS::ApiGateway::Stage'))[0] as any;
    assert.equal(stage.Properties.MethodSettings[0].ThrottlingRateLimit, 5);
    assert.equal(stage.Properties.MethodSettings[0].ThrottlingBurstLimit, 7);
    quietly(() => app.synth()); // cdk-nag clean with these settings too
  });

  it('hardening and deploy-role settings reach the stack from context', () => {
    const { stack } = build({
      lambdaAsset: 'placeholder', userCheckTtl: '5', noncurrentVersionDays: '7', accessLogDays: '14',
      logReaders: 'arn:aws:iam::123456789012:role/A, arn:aws:iam::123456789012:role/B',
      wafRateLimit: '500', wafWindowSeconds: '300', githubRepo: 'acme/read-file', githubEnvironment: 'staging',
    });
    const t = quietly(() => Template.fromStack(stack)).toJSON() as any;
    const fn = Object.values(t.Resources).find(
      (r: any) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.REQUIRE_SIGNER,
    ) as any;
    assert.equal(fn.Properties.Environment.Variables.USER_CHECK_TTL_SECONDS, '5');
    const acl = Object.values(t.Resources).find((r: any) => r.Type === 'AWS::WAFv2::WebACL') as any;
    assert.equal(acl.Properties.Rules[0].Statement.RateBasedStatement.Limit, 500);
    assert.equal(acl.Properties.Rules[0].Statement.RateBasedStatement.EvaluationWindowSec, 300);
    const text = JSON.stringify(t);
    assert.ok(text.includes('"NoncurrentDays":7') && text.includes('"ExpirationInDays":14'));
    assert.ok(text.includes('"aws:PrincipalArn":["arn:aws:iam::123456789012:role/A","arn:aws:iam::123456789012:role/B"]'));
    assert.ok(text.includes('repo:acme/read-file:environment:staging'));
    const off = build({ lambdaAsset: 'placeholder', waf: 'false' }).stack;
    assert.ok(!JSON.stringify(quietly(() => Template.fromStack(off)).toJSON()).includes('AWS::WAFv2'));
  });

  for (const [name, value, message] of [
    ['mfa', 'sometimes', /mfa/], ['selfSignUp', 'yes', /selfSignUp/], ['removalPolicy', 'snapshot', /removalPolicy/],
    ['xray', '1', /xray/], ['throttleRate', '-1', /throttleRate/], ['stageName', 'v-1', /stageName/],
    ['userCheckTtl', '-1', /userCheckTtl/], ['userCheckTtl', '1.5', /userCheckTtl/], ['userCheckTtl', '3601', /userCheckTtlSeconds/],
    ['wafRateLimit', '5', /wafRateLimit/], ['wafWindowSeconds', '30', /wafWindowSeconds/], ['waf', 'off', /waf/],
    ['noncurrentVersionDays', '0', /noncurrentVersionDays/], ['accessLogDays', 'x', /accessLogDays/],
    ['logReaders', 'Auditors', /logReaders/], ['githubEnvironment', 'production', /only with githubRepo/],
    ['githubRepo', 'not-a-repo', /githubRepo/],
  ] as const) {
    it(`rejects ${name}=${value}`, () => {
      assert.throws(() => build({ lambdaAsset: 'placeholder', [name]: value }), message);
    });
  }
});

describe('the deploy path (no placeholder)', () => {
  it('synth runs `cargo lambda build --release --arm64 --bin <name>` on the repo root for both binaries and ships their bootstraps', () => {
    // A stand-in `cargo` first on PATH records the call and writes a bootstrap where cargo lambda
    // would: the real build takes minutes and is not this test's business.
    const dir = tempOutdir();
    const bin = path.join(dir, 'bin');
    const out = path.join(dir, 'cdk.out');
    mkdirSync(bin);
    const calls = path.join(dir, 'calls.txt');
    writeFileSync(path.join(bin, 'cargo'), [
      '#!/bin/sh',
      `echo "$PWD|$*" >> '${calls}'`,
      '[ "$1 $2" = "lambda --version" ] && { echo "cargo-lambda 1.0.0"; exit 0; }',
      'while [ $# -gt 0 ]; do [ "$1" = "--lambda-dir" ] && dir="$2"; [ "$1" = "--bin" ] && name="$2"; shift; done',
      'mkdir -p "$dir" && printf "built by cargo lambda: %s" "$name" > "$dir/bootstrap"',
      '',
    ].join('\n'));
    chmodSync(path.join(bin, 'cargo'), 0o755);

    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}`, CDK_OUTDIR: out };
    delete env.READ_FILE_LAMBDA_ASSET;
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], { cwd: path.join(__dirname, '..'), env, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);

    const builds = readFileSync(calls, 'utf8').trim().split('\n').filter((l) => l.includes('lambda build'));
    // The read-file function and the shared tier's revocations function, one build each.
    assert.equal(builds.length, 2, `cargo lambda build was called once per binary: ${builds.join("\n")}`);
    const binaries = builds.map((build) => {
      const [cwd, args] = build.split('|');
      assert.equal(cwd, path.resolve(__dirname, '..', '..'), 'built in the repository root (Cargo.toml)');
      const m = /^lambda build --lambda-dir \S+ --release --arm64 --bin (\S+) --flatten (\S+)$/.exec(args);
      assert.ok(m && m[1] === m[2], args);
      return m[1];
    });
    assert.deepEqual(binaries.sort(), ['read-file', 'revocations']);
    const assets = readdirSync(out).filter((f) => f.startsWith('asset.'));
    const shipped = assets.map((asset) => {
      assert.ok(existsSync(path.join(out, asset, 'bootstrap')));
      return readFileSync(path.join(out, asset, 'bootstrap'), 'utf8');
    });
    assert.deepEqual(shipped.sort(), ['built by cargo lambda: read-file', 'built by cargo lambda: revocations']);
  });
});
