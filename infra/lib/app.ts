// Builds the CDK app: configuration from context / environment, the stack, and cdk-nag.
// bin/app.ts synthesizes it; the tests build it the same way.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, RemovalPolicy, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ALARM_DEFAULTS } from './operations';
import { LAMBDA_ASSET_CONTEXT, LAMBDA_ASSET_ENV, parseLambdaAsset } from './lambda-asset';
import { ReadFileStack, type GithubDeploySettings, type MfaSetting } from './read-file-stack';

export const DEFAULT_STACK_NAME = 'ReadFileStack';

/** The feature flags and settings of cdk.json, so in-process apps (tests) match `cdk synth`. */
export function cdkJsonContext(): Record<string, unknown> {
  const file = path.join(__dirname, '..', 'cdk.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
}

export interface BuiltApp {
  readonly app: App;
  readonly stack: ReadFileStack;
}

/**
 * Build the app. Settings (all optional), as `cdk synth -c name=value` or in cdk.json's context:
 * stackName, lambdaAsset (or env READ_FILE_LAMBDA_ASSET), s3Prefix, stageName, frontendOrigin, domainPrefix,
 * selfSignUp (true|false), mfa (off|optional|required), removalPolicy (retain|destroy),
 * xray (true|false), throttleRate and throttleBurst (numbers), userCheckTtl (seconds),
 * noncurrentVersionDays, accessLogDays, logReaders (comma-separated principal ARNs),
 * waf (true|false), wafRateLimit, wafWindowSeconds, and for a GitHub Actions deploy role
 * githubRepo (owner/name), githubEnvironment, githubOidcProvider (an existing provider's ARN),
 * cdkQualifier, sessionTier (true|false, default true: the shared session tier), trail (true|false,
 * default false: a CloudTrail trail for the revocation events, where the account has none); alarmTopic (an SNS topic ARN) and the alarm
 * thresholds of lib/operations.ts (quotaAlarmPercent, functionErrorsThreshold,
 * functionThrottlesThreshold, p99DurationMs, api5xxPercent, api4xxPercent,
 * tableThrottlesThreshold: positive numbers), usageServiceUserPools and usageServiceIdentityPools
 * (the AWS/Usage Service dimension values). infra/README.md describes each.
 */
export function buildApp(props: AppProps = {}, env: NodeJS.ProcessEnv = process.env): BuiltApp {
  const app = new App(props);
  const ctx = (name: string): string | undefined => {
    const v: unknown = app.node.tryGetContext(name);
    return v === undefined || v === null ? undefined : String(v);
  };

  const stack = new ReadFileStack(app, ctx('stackName') ?? DEFAULT_STACK_NAME, {
    // Environment-agnostic on purpose: synth needs no account, no credentials, no lookups;
    // `cdk deploy` targets the account and Region of the caller's AWS profile.
    lambdaAsset: parseLambdaAsset(ctx(LAMBDA_ASSET_CONTEXT) ?? env[LAMBDA_ASSET_ENV]),
    s3Prefix: ctx('s3Prefix'),
    stageName: ctx('stageName'),
    frontendOrigin: ctx('frontendOrigin'),
    domainPrefix: ctx('domainPrefix'),
    selfSignUpEnabled: bool(ctx('selfSignUp'), 'selfSignUp'),
    mfa: oneOf(ctx('mfa'), ['off', 'optional', 'required'] as const, 'mfa') as MfaSetting | undefined,
    removalPolicy: removal(ctx('removalPolicy')),
    xrayTracing: bool(ctx('xray'), 'xray'),
    throttlingRateLimit: num(ctx('throttleRate'), 'throttleRate'),
    throttlingBurstLimit: num(ctx('throttleBurst'), 'throttleBurst'),
    userCheckTtlSeconds: int(ctx('userCheckTtl'), 'userCheckTtl', 0),
    noncurrentVersionDays: int(ctx('noncurrentVersionDays'), 'noncurrentVersionDays', 1),
    accessLogExpirationDays: int(ctx('accessLogDays'), 'accessLogDays', 1),
    logReaders: list(ctx('logReaders')),
    waf: {
      enabled: bool(ctx('waf'), 'waf'),
      rateLimit: int(ctx('wafRateLimit'), 'wafRateLimit', 10),
      windowSeconds: int(ctx('wafWindowSeconds'), 'wafWindowSeconds', 60),
    },
    githubDeploy: githubDeploy(ctx),
    sessionTier: bool(ctx('sessionTier'), 'sessionTier'),
    trail: bool(ctx('trail'), 'trail'),
    alarms: {
      alarmTopic: topicArn(ctx('alarmTopic')),
      ...Object.fromEntries(THRESHOLDS.map((name) => [name, num(ctx(name), name)])),
    },
    usageServiceUserPools: ctx('usageServiceUserPools'),
    usageServiceIdentityPools: ctx('usageServiceIdentityPools'),
  });

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}

/** The numeric alarm settings, each a context key of its own name. */
const THRESHOLDS = Object.keys(ALARM_DEFAULTS) as (keyof typeof ALARM_DEFAULTS)[];

function topicArn(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(v)) {
    throw new Error(`context alarmTopic: expected an SNS topic ARN, got '${v}'`);
  }
  return v;
}

function bool(v: string | undefined, name: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new Error(`context ${name}: expected true or false, got '${v}'`);
}

function num(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`context ${name}: expected a positive number, got '${v}'`);
  return n;
}

function int(v: string | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < min) throw new Error(`context ${name}: expected a whole number >= ${min}, got '${v}'`);
  return n;
}

function list(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return v.split(',').map((x) => x.trim()).filter((x) => x !== '');
}

function githubDeploy(ctx: (name: string) => string | undefined): GithubDeploySettings | undefined {
  const repository = ctx('githubRepo');
  const others = ['githubEnvironment', 'githubOidcProvider', 'cdkQualifier'].filter((n) => ctx(n) !== undefined);
  if (repository === undefined || repository === '') {
    if (others.length > 0) throw new Error(`context ${others.join(', ')}: only with githubRepo (owner/name)`);
    return undefined;
  }
  return {
    repository,
    environment: ctx('githubEnvironment'),
    oidcProviderArn: ctx('githubOidcProvider') || undefined,
    cdkQualifier: ctx('cdkQualifier'),
  };
}

function oneOf<T extends string>(v: string | undefined, allowed: readonly T[], name: string): T | undefined {
  if (v === undefined) return undefined;
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new Error(`context ${name}: expected one of ${allowed.join(', ')}, got '${v}'`);
}

function removal(v: string | undefined): RemovalPolicy | undefined {
  const r = oneOf(v, ['retain', 'destroy'] as const, 'removalPolicy');
  return r === undefined ? undefined : r === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}
