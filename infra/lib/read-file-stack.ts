// The whole system in one stack: Cognito user pool + app client, identity pool with its
// authenticated role, the data bucket (+ its access-log bucket), the Rust Lambda, and the REST API.
//
// Everything is wired from constructs (no ids pasted after a first deploy), and every IAM policy
// that matters comes from infra/policies/ (the one source the local stack enforces too).
import * as path from 'node:path';
import {
  Aws,
  CfnOutput,
  Duration,
  Fn,
  Lazy,
  RemovalPolicy,
  Stack,
  Validations,
  type StackProps,
} from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as identitypool from 'aws-cdk-lib/aws-cognito-identitypool';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { RustFunction } from 'cargo-lambda-cdk';
import type { Construct, IConstruct } from 'constructs';
import { invokePathPattern, loadApiSource, loadBucketCors } from './api';
import { localBundlerFor, type LambdaAsset } from './lambda-asset';
import { ManagedLogin } from './managed-login';
import { renderPolicy, type PolicyJson } from './policies';
import { Operations, type AlarmSettings } from './operations';
import { SessionTier } from './session-tier';

export type MfaSetting = 'off' | 'optional' | 'required';

export interface ReadFileStackProps extends StackProps {
  /** Where the Lambda's code comes from (see lambda-asset.ts). @default build with cargo lambda */
  readonly lambdaAsset?: LambdaAsset;
  /** Key prefix of the users' folders: `<prefix>/<IdentityId>/data.txt`. @default 'cognito-test' */
  readonly s3Prefix?: string;
  /** API Gateway stage name. @default api.json's stageName */
  readonly stageName?: string;
  /** The web frontend's origin, allowed by CORS. @default api.json's cors.allowOrigins */
  readonly frontendOrigin?: string;
  /** The managed-login domain prefix (`<prefix>.auth.<region>.amazoncognito.com`). @default `read-file-<account id>` */
  readonly domainPrefix?: string;
  /** Let anyone sign up from the frontend. @default false (an admin creates users) */
  readonly selfSignUpEnabled?: boolean;
  /** Multi-factor authentication (TOTP only, so no SMS role is needed). @default 'optional' */
  readonly mfa?: MfaSetting;
  /** What happens to the user pool, the buckets and the log groups when the stack is deleted. @default RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * X-Ray active tracing on the API stage and the Lambda: a trace per sampled request, the
   * stage's segment and the function's (docs/operations.md, "Traces"). @default true
   */
  readonly xrayTracing?: boolean;
  /**
   * Steady-state request rate of the stage, requests/second. @default 20
   *
   * Cognito's quotas are per account and Region, summed over pools: `cognito-identity:GetId` 25
   * rps, AdminGetUser 120 rps. The function caches IdentityIds and credentials per instance, but
   * every new user and every new instance (a burst scales out many) starts cold and calls them.
   * Throttling at API Gateway answers 429 early and cheaply instead of piling up TooManyRequests
   * inside the function. Raise it when traffic is mostly warm.
   */
  readonly throttlingRateLimit?: number;
  /** Burst of the stage, requests. @default 40 */
  readonly throttlingBurstLimit?: number;
  /** Retention of the Lambda's and the API's log groups. @default ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Days to keep S3 server access logs. @default 90 */
  readonly accessLogExpirationDays?: number;
  /**
   * Who may read the S3 server access logs (they hold presigned URLs' signatures and session
   * tokens): IAM principal ARNs, `*` wildcards allowed (`aws:PrincipalArn`, so a role ARN covers
   * its sessions). Everyone else is denied by the log bucket's policy. @default [] (nobody)
   */
  readonly logReaders?: readonly string[];
  /**
   * Days a replaced or deleted version of a user's file is kept before S3 deletes it for good.
   * Users never see old versions (the API and their keys have no version actions); they are an
   * operator's undo window. @default 30
   */
  readonly noncurrentVersionDays?: number;
  /**
   * How long the function trusts a user's AdminGetUser answer (its USER_CHECK_TTL_SECONDS): a
   * disabled user is refused on the API at the latest this long after being disabled (with the shared
   * tier: after the revocation event reaches the table). @default 30 with the shared tier, else 60
   */
  readonly userCheckTtlSeconds?: number;
  /** Per-caller rate limit on the stage (AWS WAF). @default on, 100 requests per 60 s */
  readonly waf?: WafSettings;
  /** A GitHub Actions deploy role (and its OIDC provider). @default none */
  readonly githubDeploy?: GithubDeploySettings;
  /**
   * The shared session tier: a DynamoDB table behind every Lambda environment's own
   * caches, and revocations pushed into it by a second function on an EventBridge rule.
   * @default true
   */
  readonly sessionTier?: boolean;
  /**
   * Create a CloudTrail trail of the account's management (write) events, which EventBridge needs
   * to deliver the user pool's revoking calls; leave off when the account already has one.
   * @default false
   */
  readonly trail?: boolean;
  /**
   * Alarm thresholds and the optional SNS topic of the alarms and dashboard (lib/operations.ts,
   * docs/operations.md). @default the defaults of lib/operations.ts, no topic
   */
  readonly alarms?: AlarmSettings;
  /** AWS/Usage `Service` dimension of the user pools' quota metrics. @default 'Cognito user pool' */
  readonly usageServiceUserPools?: string;
  /** AWS/Usage `Service` dimension of the identity pools' quota metrics. @default 'Cognito identity pool' */
  readonly usageServiceIdentityPools?: string;
  /**
   * Record the cdk-nag acknowledgements on the constructs. Tests turn this off to see the raw
   * findings and check that each acknowledgement answers a real one. @default true
   */
  readonly acknowledgeNagFindings?: boolean;
}

export interface WafSettings {
  /** Associate the web ACL (fixed cost: about $6 a month, see infra/README.md). @default true */
  readonly enabled?: boolean;
  /** Requests one caller may make per window before WAF answers 429. WAF's minimum is 10. @default 100 */
  readonly rateLimit?: number;
  /** The window WAF counts over: 60, 120, 300 or 600 seconds. @default 60 */
  readonly windowSeconds?: number;
}

export interface GithubDeploySettings {
  /** `owner/name` of the repository whose workflow may deploy. */
  readonly repository: string;
  /** The GitHub environment the deploy job runs in (protect it in the repository settings). @default 'production' */
  readonly environment?: string;
  /** ARN of the account's existing GitHub OIDC provider (one per account). @default create one */
  readonly oidcProviderArn?: string;
  /** The CDK bootstrap qualifier of the target account. @default 'hnb659fds' */
  readonly cdkQualifier?: string;
}

/** What each path parameter of infra/api/api.json carries (the invoke grant's wildcards). */
const PATH_PARAMETERS: Record<string, string> = {
  name: "any of the caller's file names",
  path: "any of the caller's folders",
  upload: "a handle of one of the caller's resumable uploads",
  id: 'the opaque id of a share (a copy shared with or by the caller)',
};

/** A cdk-nag finding acknowledged in this stack, kept so tests can audit the list. */
export interface NagAcknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** The API as infra/api/api.json describes it: the local gateway reads the same file. */
export const API = loadApiSource();
/** The data bucket's CORS rule (infra/api/bucket-cors.json), for presigned GET/PUT from the browser. */
export const BUCKET_CORS = loadBucketCors();

export const DEFAULTS = {
  s3Prefix: 'cognito-test',
  stageName: API.stageName,
  frontendOrigin: API.cors.allowOrigins[0],
  mfa: 'optional' as MfaSetting,
  throttlingRateLimit: API.throttle.rateLimit,
  throttlingBurstLimit: API.throttle.burstLimit,
  accessLogExpirationDays: 90,
  noncurrentVersionDays: 30,
  userCheckTtlSeconds: 60,
  /** With the shared tier on: an environment's own copy is short, the table's verdict lives long. */
  userCheckTtlSecondsShared: 30,
  wafRateLimit: 100,
  wafWindowSeconds: 60,
  githubEnvironment: 'production',
  cdkQualifier: 'hnb659fds',
};

/** The header WAF counts requests by: the caller's session token (see the web ACL below). */
export const WAF_KEY_HEADER = 'x-amz-security-token';
/** The issuer of GitHub Actions' OIDC tokens. */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';

/** The Cargo manifest of the Lambda: the repository root's. */
export const CARGO_MANIFEST = path.join(__dirname, '..', '..', 'Cargo.toml');


/** The Lambda's timeout; the function's own request budget is derived from it. */
const FUNCTION_TIMEOUT = Duration.seconds(10);

export class ReadFileStack extends Stack {
  readonly userPool: cognito.UserPool;
  readonly userPoolClient: cognito.UserPoolClient;
  /** Managed login for a server-side frontend: the domain and its confidential app client. */
  readonly managedLogin: ManagedLogin;
  readonly identityPool: identitypool.IdentityPool;
  readonly authenticatedRole: iam.Role;
  readonly bucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  readonly function: lambda.Function;
  readonly functionRole: iam.Role;
  readonly api: apigw.RestApi;
  /** The per-caller rate limit on the stage, unless turned off. */
  readonly webAcl?: wafv2.CfnWebACL;
  /** The GitHub Actions deploy role, when `githubDeploy` is given. */
  readonly deployRole?: iam.Role;
  readonly sessionTier?: SessionTier;
  readonly operations: Operations;
  readonly s3Prefix: string;
  readonly acknowledgements: NagAcknowledgement[] = [];
  private readonly acknowledgeNagFindings: boolean;

  constructor(scope: Construct, id: string, props: ReadFileStackProps = {}) {
    super(scope, id, {
      description: 'read-file: Cognito-scoped S3 reader (user pool, identity pool, REST API, Rust Lambda)',
      ...props,
    });

    this.acknowledgeNagFindings = props.acknowledgeNagFindings ?? true;
    const prefix = validPrefix(props.s3Prefix ?? DEFAULTS.s3Prefix);
    this.s3Prefix = prefix;
    const stageName = validStageName(props.stageName ?? DEFAULTS.stageName);
    const frontendOrigin = validOrigin(props.frontendOrigin ?? DEFAULTS.frontendOrigin);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const mfa = props.mfa ?? DEFAULTS.mfa;
    const xray = props.xrayTracing ?? true;
    const userCheckTtl = validTtl(
      props.userCheckTtlSeconds ??
        ((props.sessionTier ?? true) ? DEFAULTS.userCheckTtlSecondsShared : DEFAULTS.userCheckTtlSeconds),
    );

    // ---------------------------------------------------------------- Cognito user pool
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: props.selfSignUpEnabled ?? false,
      signInAliases: { username: true, email: true },
      autoVerify: { email: true },
      signInCaseSensitive: false,
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: { off: cognito.Mfa.OFF, optional: cognito.Mfa.OPTIONAL, required: cognito.Mfa.REQUIRED }[mfa],
      // TOTP only when MFA is on: SMS would need an SNS role and a spend limit.
      mfaSecondFactor: mfa === 'off' ? undefined : { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    if (mfa !== 'required') {
      this.ack(this.userPool, 'AwsSolutions-COG2',
        `MFA is '${mfa}' (TOTP offered to every user) so that admin-created users and the README's ` +
        "scripted ADMIN_USER_PASSWORD_AUTH flow work; set context mfa=required to enforce it.");
    }
    this.ack(this.userPool, 'AwsSolutions-COG8',
      'The Plus feature plan (threat protection: compromised-credential and adaptive sign-in ' +
      'checks) is billed per monthly active user; this deployment keeps Essentials. Choose Plus ' +
      'for production pools with real users.');

    this.userPoolClient = this.userPool.addClient('WebClient', {
      generateSecret: false, // a browser app cannot keep a secret
      authFlows: { userSrp: true, adminUserPassword: true },
      disableOAuth: true, // no hosted UI: the frontend signs in with SRP (examples/web, Amplify)
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });
    this.managedLogin = new ManagedLogin(this, 'ManagedLogin', {
      userPool: this.userPool,
      frontendOrigin,
      domainPrefix: props.domainPrefix,
    });

    // ---------------------------------------------------------------- buckets
    const logReaders = validLogReaders(props.logReaders ?? []);
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogsBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      // S3 server access log delivery only supports SSE-S3 on the target bucket.
      encryption: s3.BucketEncryption.S3_MANAGED,
      // Object ownership left to CDK: with cdk.json's flags log delivery is granted by bucket policy
      // (owner enforced, no ACLs); without them CDK needs ObjectWriter for the log-delivery ACL.
      lifecycleRules: [{
        id: 'ExpireAccessLogs',
        expiration: Duration.days(positiveDays(props.accessLogExpirationDays ?? DEFAULTS.accessLogExpirationDays, 'accessLogExpirationDays')),
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      }],
      removalPolicy,
    });
    // A log line records the request URI, query string included: the signature, the session token
    // and the credential of every presigned URL used on the data bucket. Nobody reads the log
    // objects but the principals named in context logReaders (not even the account's
    // administrators, whose IAM policies grant s3:*: an explicit Deny wins). Log delivery only
    // writes (the PutObject grant CDK adds for logging.s3.amazonaws.com), so it is not affected.
    this.accessLogsBucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'OnlyNamedReadersReadAccessLogs',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: [...LOG_READ_ACTIONS],
      resources: [this.accessLogsBucket.arnForObjects('*')],
      conditions: logReaders.length > 0 ? { ArnNotLike: { 'aws:PrincipalArn': logReaders } } : undefined,
    }));
    // (cdk-nag's S1 recognizes a bucket that is a server-access-log target: no finding here.)

    this.bucket = new s3.Bucket(this, 'DataBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      // SSE-S3, not KMS: the users' identity-pool role (infra/policies/user-files.json) would
      // otherwise need kms:Decrypt/GenerateDataKey on the key as well.
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [
        // Parts of an upload that was never completed or aborted are billed like objects, and
        // nobody sees them (no listing shows them).
        { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        // Versioned: a replaced or deleted file stays as a noncurrent version, which users can
        // neither see nor remove. Keep it for an operator's undo window, then delete it.
        {
          id: 'ExpireNoncurrentVersions',
          noncurrentVersionExpiration: Duration.days(positiveDays(props.noncurrentVersionDays ?? DEFAULTS.noncurrentVersionDays, 'noncurrentVersionDays')),
        },
        // Every DELETE leaves a delete marker, also for a key that never existed; a marker with no
        // versions left behind it is removed.
        { id: 'RemoveExpiredDeleteMarkers', expiredObjectDeleteMarker: true },
      ],
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'data-bucket/',
      // The browser downloads (GET) and uploads (PUT) with presigned URLs straight to S3, from the
      // frontend's origin only (infra/api/bucket-cors.json, the rule the local stack applies too).
      cors: [{
        allowedOrigins: [frontendOrigin],
        allowedMethods: BUCKET_CORS.allowedMethods.map((m) => s3.HttpMethods[m]),
        allowedHeaders: [...BUCKET_CORS.allowedHeaders],
        exposedHeaders: [...BUCKET_CORS.exposedHeaders],
        maxAge: BUCKET_CORS.maxAgeSeconds,
      }],
      removalPolicy,
    });

    // ---------------------------------------------------------------- identity pool
    // The authenticated role's trust policy comes from infra/policies/authenticated-trust.json.
    // It names the identity pool, which is created below with this role: Lazy breaks the
    // construction-order loop (in CloudFormation there is none: the role attachment, not the
    // pool, references the role).
    let identityPoolRef: identitypool.IdentityPool | undefined;
    const trust = renderPolicy('authenticated-trust', {
      IDENTITY_POOL_ID: Lazy.string({
        produce: () => {
          if (!identityPoolRef) throw new Error('identity pool not created yet');
          return identityPoolRef.identityPoolId;
        },
      }),
    });
    this.authenticatedRole = new iam.Role(this, 'AuthenticatedRole', {
      description: 'Cognito identity pool authenticated users: their own S3 prefix, the copies shared with them, and the API routes',
      assumedBy: federatedPrincipalFrom(trust),
      inlinePolicies: {
        // Exactly the shared documents, statement for statement (no CDK minimization).
        UserFiles: policyDocumentFrom(renderPolicy('user-files', { PARTITION: Aws.PARTITION, BUCKET: this.bucket.bucketName, PREFIX: prefix })),
        // Sharing: read and list <prefix>-shared/<own IdentityId>/; write and delete only
        // <prefix>-shared/<a recipient's IdentityId>/<own IdentityId>/ (infra/policies/README.md).
        UserShares: policyDocumentFrom(renderPolicy('user-shares', {
          PARTITION: Aws.PARTITION, BUCKET: this.bucket.bucketName, PREFIX: prefix, REGION: Aws.REGION,
        })),
      },
    });
    const bucketRef = `arn:<AWS::Partition>:s3:::<${this.logicalIdOf(this.bucket)}>`;
    this.ack(this.authenticatedRole, `AwsSolutions-IAM5[Resource::${bucketRef}/${prefix}/<cognito-identity.amazonaws.com:sub>/*]`,
      "The objects below the caller's own folder: IAM substitutes the caller's IdentityId for " +
      '${cognito-identity.amazonaws.com:sub}, so the wildcard never reaches another user.');
    this.ack(this.authenticatedRole, `AwsSolutions-IAM5[Resource::${bucketRef}/${prefix}-shared/<cognito-identity.amazonaws.com:sub>/*]`,
      'The copies shared with the caller (read only): IAM substitutes the caller\'s IdentityId for ' +
      '${cognito-identity.amazonaws.com:sub}, so the wildcard never reaches what is shared with another user.');
    this.ack(this.authenticatedRole,
      `AwsSolutions-IAM5[Resource::${bucketRef}/${prefix}-shared/<AWS::Region>:????????-????-????-????-????????????/<cognito-identity.amazonaws.com:sub>/*]`,
      'Sharing writes and revokes: the recipient segment is any IdentityId of this Region (fixed length, ' +
      'so it cannot swallow a /), and the next segment is the caller\'s own IdentityId, so a share always ' +
      'names its true owner; the trailing wildcard is the owner\'s own file name.');

    this.identityPool = new identitypool.IdentityPool(this, 'IdentityPool', {
      allowUnauthenticatedIdentities: false,
      allowClassicFlow: false,
      authenticatedRole: this.authenticatedRole,
      authenticationProviders: {
        userPools: [
          new identitypool.UserPoolAuthenticationProvider({
            userPool: this.userPool,
            userPoolClient: this.userPoolClient,
            disableServerSideTokenCheck: false,
          }),
          // The server-side frontend's tokens too: the same user pool, so the same identity.
          new identitypool.UserPoolAuthenticationProvider({
            userPool: this.userPool,
            userPoolClient: this.managedLogin.webServerClient,
            disableServerSideTokenCheck: false,
          }),
        ],
      },
    });
    identityPoolRef = this.identityPool;
    // The construct always makes an unauthenticated role, even with unauthenticated identities
    // off. Leave no unused role behind: attach only the authenticated one and drop the other.
    this.identityPool.roleAttachment.roles = { authenticated: this.authenticatedRole.roleArn };
    if (!this.identityPool.node.tryRemoveChild('UnauthenticatedRole')) {
      throw new Error('IdentityPool construct changed: no UnauthenticatedRole child to remove');
    }

    // ---------------------------------------------------------------- the shared session tier
    if (props.sessionTier ?? true) {
      this.sessionTier = new SessionTier(this, 'SessionTier', {
        userPool: this.userPool,
        lambdaAsset: props.lambdaAsset ?? { kind: 'build' },
        cargoManifest: CARGO_MANIFEST,
        logRetention,
        removalPolicy,
        trail: props.trail ?? false,
        accessLogsBucket: this.accessLogsBucket,
        ack: (scope, id, reason) => this.ack(scope, id, reason),
      });
    } else if (props.trail) {
      throw new Error('trail: the trail serves the shared session tier; it needs sessionTier');
    }

    // ---------------------------------------------------------------- the Lambda
    const functionLogGroup = new logs.LogGroup(this, 'ReadFileFunctionLogs', {
      retention: logRetention,
      removalPolicy,
    });
    const userCheck = renderPolicy('lambda-user-check', { USER_POOL_ARN: this.userPool.userPoolArn });
    this.functionRole = new iam.Role(this, 'ReadFileFunctionRole', {
      description: 'read-file Lambda: AdminGetUser on its own user pool, the session table, and its own logs',
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: {
        UserCheck: policyDocumentFrom(userCheck),
        // Exactly GetItem, BatchGetItem, PutItem, UpdateItem, Query and DeleteItem on the session table
        // (Query and DeleteItem: the owners' share index, `user#<sub>` / `share#<id>` items).
        ...(this.sessionTier
          ? {
            SessionTable: policyDocumentFrom(renderPolicy('lambda-session-table', {
              TABLE_ARN: this.sessionTier.table.tableArn,
            })),
          }
          : {}),
        Logs: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'OwnLogs',
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              // The log group's ARN (`...:log-group:<name>:*`) covers its log streams.
              resources: [functionLogGroup.logGroupArn],
            }),
          ],
        }),
      },
    });

    const bundler = localBundlerFor(props.lambdaAsset ?? { kind: 'build' });
    this.function = new RustFunction(this, 'ReadFileFunction', {
      manifestPath: CARGO_MANIFEST,
      binaryName: 'read-file',
      runtime: 'provided.al2023',
      architecture: lambda.Architecture.ARM_64,
      description: 'GET /read-file: the signed-in user reads their own S3 file with their own credentials',
      // 256 MB: the handler is I/O-bound (AdminGetUser, GetId, GetCredentialsForIdentity, one S3
      // GET), but Lambda scales CPU with memory and a cold start does several TLS handshakes and an
      // RSA signature check; 256 MB keeps that fast for a fraction of a cent more than 128 MB.
      memorySize: 256,
      // 10 s: a warm request takes well under a second. The function bounds each upstream
      // operation (UPSTREAM_TIMEOUT_MS 3 s, retries included) and the whole request
      // (REQUEST_TIMEOUT_MS, set below 2 s under this timeout), so stalled dependencies end in a
      // JSON 504 from the function, not in Lambda's timeout; far below API Gateway's 29 s limit.
      timeout: FUNCTION_TIMEOUT,
      role: this.functionRole,
      logGroup: functionLogGroup,
      loggingFormat: lambda.LoggingFormat.JSON, // Lambda sets AWS_LAMBDA_LOG_FORMAT=JSON
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      tracing: xray ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      environment: {
        ACCOUNT_ID: Aws.ACCOUNT_ID,
        USER_POOL_ID: this.userPool.userPoolId,
        // Every app client whose tokens the function accepts, comma-separated.
        USER_POOL_CLIENT_ID: Fn.join(',', [this.userPoolClient.userPoolClientId, this.managedLogin.webServerClient.userPoolClientId]),
        IDENTITY_POOL_ID: this.identityPool.identityPoolId,
        S3_BUCKET: this.bucket.bucketName,
        S3_PREFIX: prefix,
        // The function's own responses carry Access-Control-Allow-Origin (proxy integration:
        // API Gateway adds no CORS headers to them).
        ALLOWED_ORIGIN: frontendOrigin,
        REQUEST_TIMEOUT_MS: String(FUNCTION_TIMEOUT.toMilliseconds() - 2000),
        // Every request reaches the function through the AWS_IAM API, signed with the caller's
        // identity-pool keys: one signed by any other principal of the account is refused.
        REQUIRE_SIGNER: 'true',
        // Set here (not left to the function's default) so the stack can output the bound that
        // `make smoke` checks a disabled user against. With the shared tier on, an environment's
        // own verdicts live 30 s by default and the table's SHARED_USER_CHECK_TTL_SECONDS 900
        // (docs/configuration.md).
        USER_CHECK_TTL_SECONDS: String(userCheckTtl),
        ...(this.sessionTier ? { SESSION_TABLE: this.sessionTier.table.tableName } : {}),
      },
      bundling: bundler ? { dockerOptions: { local: bundler } } : undefined,
    });
    if (xray) {
      this.ack(this.functionRole, 'AwsSolutions-IAM5[Resource::*]',
        'X-Ray tracing is on: xray:PutTraceSegments and xray:PutTelemetryRecords support no ' +
        'resource-level permissions, AWS requires Resource "*" for them.');
    }

    // ---------------------------------------------------------------- the REST API
    const accessLogGroup = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: logRetention,
      removalPolicy,
    });
    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: `${this.stackName}-api`,
      description: 'read-file API: GET /read-file, IAM-authorized with Cognito identity-pool credentials',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      binaryMediaTypes: API.binaryMediaTypes.length > 0 ? [...API.binaryMediaTypes] : undefined,
      // Access logging needs the account-level API Gateway CloudWatch role; an empty account has
      // none, so the stack sets it (AWS::ApiGateway::Account is one per account and Region).
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName,
        throttlingRateLimit: props.throttlingRateLimit ?? DEFAULTS.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit ?? DEFAULTS.throttlingBurstLimit,
        tracingEnabled: xray,
        metricsEnabled: true,
        // Execution logs: errors only, never request/response data (the idToken is a header).
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogGroup),
        // Fields chosen so that a log line holds no secret and no user data: the route template
        // ($context.resourcePath, `/files/{name+}`), never the path with the file name, the query
        // string, a header (idToken, X-Amz-Security-Token) or the authorizer's claims.
        accessLogFormat: apigw.AccessLogFormat.custom(JSON.stringify({
          requestId: apigw.AccessLogField.contextRequestId(),
          requestTime: apigw.AccessLogField.contextRequestTime(),
          sourceIp: apigw.AccessLogField.contextIdentitySourceIp(),
          httpMethod: apigw.AccessLogField.contextHttpMethod(),
          resourcePath: apigw.AccessLogField.contextResourcePath(),
          status: apigw.AccessLogField.contextStatus(),
          responseLength: apigw.AccessLogField.contextResponseLength(),
          responseLatency: apigw.AccessLogField.contextResponseLatency(),
          integrationStatus: apigw.AccessLogField.contextIntegrationStatus(),
          errorType: apigw.AccessLogField.contextErrorResponseType(),
          // Who called: the signer's identity-pool IdentityId (never the token itself).
          cognitoIdentityId: apigw.AccessLogField.contextIdentityCognitoIdentityId(),
          userArn: apigw.AccessLogField.contextIdentityUserArn(),
          // WAF_BLOCK when the per-caller rate limit refused the request.
          wafResponseCode: apigw.AccessLogField.contextWafResponseCode(),
        })),
      },
    });
    const apigwRole = this.api.node.tryFindChild('CloudWatchRole');
    if (apigwRole) {
      this.ack(apigwRole, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        "API Gateway's account-level logging role: the AWS-managed policy is the documented one, and " +
        'the role serves every API of the account and Region, so it cannot be scoped to ours.');
    }
    this.ack(this.api, 'AwsSolutions-APIG2',
      'The Lambda validates every input itself before any AWS call (the idToken fully: signature, ' +
      'issuer, audience, expiry; file names, query parameters and bodies with stable error codes); ' +
      'a request validator would duplicate a subset of those rules.');
    const waf = wafSettings(props.waf);
    if (waf.enabled) {
      this.webAcl = this.perCallerRateLimit(waf, frontendOrigin);
    } else {
      this.ack(this.api, 'AwsSolutions-APIG3',
        'The per-caller WAF rate limit is switched off (context waf=false): every call must still be ' +
        'SigV4-signed by an authenticated identity and the stage is throttled for everyone together.');
    }

    // 4XX/5XX answered by API Gateway itself (e.g. 403 on a bad signature) carry CORS headers too,
    // or the browser would hide the status from the frontend.
    for (const [name, type] of [['Default4xx', apigw.ResponseType.DEFAULT_4XX], ['Default5xx', apigw.ResponseType.DEFAULT_5XX]] as const) {
      this.api.addGatewayResponse(name, {
        type,
        responseHeaders: {
          'Access-Control-Allow-Origin': `'${frontendOrigin}'`,
          Vary: "'Origin'",
        },
      });
    }

    // Routes from infra/api/api.json, the source the local gateway serves too.
    const integration = new apigw.LambdaIntegration(this.function, {
      proxy: true,
      // No test-invoke permission: the Lambda may be invoked by this stage's routes only.
      allowTestInvoke: false,
    });
    const withPreflight = new Set<string>();
    for (const route of API.routes) {
      const resource = this.api.root.resourceForPath(route.path);
      if (!withPreflight.has(route.path)) {
        withPreflight.add(route.path);
        // The browser sends the preflight OPTIONS unsigned: CDK gives it a MOCK integration and no
        // authorization; it answers only these headers.
        const preflight = resource.addCorsPreflight({
          allowOrigins: [frontendOrigin],
          allowMethods: [...API.cors.allowMethods],
          allowHeaders: [...API.cors.allowHeaders],
          maxAge: Duration.seconds(API.cors.maxAgeSeconds),
        });
        if (API.binaryMediaTypes.length > 0) {
          // With binary media types (*/* here), API Gateway may treat the unsigned preflight as
          // binary, and the MOCK integration's JSON request template then fails (a 500 on the
          // preflight). Converting to text keeps the template working.
          (preflight.node.defaultChild as apigw.CfnMethod)
            .addPropertyOverride('Integration.ContentHandling', 'CONVERT_TO_TEXT');
        }
      }
      const method = resource.addMethod(route.method, integration, {
        authorizationType: apigw.AuthorizationType.IAM,
      });
      this.ack(method, 'AwsSolutions-COG4',
        'Authorized by AWS_IAM on purpose: callers sign with the temporary credentials of their ' +
        'Cognito identity-pool identity (the same identity whose S3 folder is read); the user-pool ' +
        'ID token travels in the idToken header and is verified by the Lambda.');
    }
    // The CORS preflight OPTIONS method has no authorization (CDK sets NONE explicitly): browsers
    // send it without credentials. cdk-nag's APIG4/COG4 skip OPTIONS methods themselves.

    // Signed-in users may call exactly the AWS_IAM routes of this API's stage, nothing else:
    // infra/policies/invoke-api.json, the grant the local stack provisions and its gateway checks.
    const invoke = new iam.Policy(this, 'InvokeApiPolicy', {
      roles: [this.authenticatedRole],
      document: policyDocumentFrom(renderPolicy('invoke-api', {
        PARTITION: Aws.PARTITION,
        REGION: Aws.REGION,
        ACCOUNT_ID: Aws.ACCOUNT_ID,
        API_ID: this.api.restApiId,
        STAGE: this.api.deploymentStage.stageName,
      })),
    });
    const stageArn = `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${this.logicalIdOf(this.api)}>/` +
      `<${this.logicalIdOf(this.api.deploymentStage)}>`;
    for (const route of API.routes.filter((r) => invokePathPattern(r.path) !== r.path)) {
      const parameters = [...route.path.matchAll(/\{([A-Za-z0-9_]+)\+?\}/g)].map((m) => {
        const meaning = PATH_PARAMETERS[m[1]];
        if (meaning === undefined) throw new Error(`${route.method} ${route.path}: say what {${m[1]}} is in PATH_PARAMETERS`);
        return `{${m[1]}} is ${meaning}`;
      });
      this.ack(invoke, `AwsSolutions-IAM5[Resource::${stageArn}/${route.method}${invokePathPattern(route.path)}]`,
        `${route.method} ${route.path}: ${parameters.join(', ')}; the route and method are fixed, and the ` +
        'function reaches only the caller\'s own folder and the copies shared with or by the caller.');
    }

    // ---------------------------------------------------------------- alarms and the dashboard
    this.operations = new Operations(this, 'Operations', {
      ...props.alarms,
      function: this.function,
      api: this.api,
      table: this.sessionTier?.table,
      usageServiceUserPools: props.usageServiceUserPools,
      usageServiceIdentityPools: props.usageServiceIdentityPools,
    });

    // ---------------------------------------------------------------- outputs
    // RestApi adds an 'Endpoint' output of its own; ApiUrl below is the same value under a stable name.
    this.api.node.tryRemoveChild('Endpoint');
    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the stage' });
    new CfnOutput(this, 'ReadFileUrl', { value: this.api.urlForPath('/read-file'), description: 'GET this, SigV4-signed, with header idToken' });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'UserPoolProviderName', {
      value: this.userPool.userPoolProviderName,
      description: 'The Logins key for GetId / GetCredentialsForIdentity',
    });
    new CfnOutput(this, 'IdentityPoolId', { value: this.identityPool.identityPoolId });
    new CfnOutput(this, 'BucketName', { value: this.bucket.bucketName });
    new CfnOutput(this, 'S3Prefix', { value: prefix });
    new CfnOutput(this, 'Region', { value: Aws.REGION });
    // What `make deploy` writes into .deploy/outputs.json beside the above (infra/deploy/outputs.py).
    new CfnOutput(this, 'AccountId', { value: Aws.ACCOUNT_ID });
    new CfnOutput(this, 'ApiId', { value: this.api.restApiId });
    new CfnOutput(this, 'AllowedOrigin', { value: frontendOrigin, description: 'The one origin CORS allows' });
    new CfnOutput(this, 'UserCheckTtlSeconds', {
      value: String(userCheckTtl),
      description:
        "The function's USER_CHECK_TTL_SECONDS: a disabled user is refused on the API within it (with the shared tier: after the revocation event arrives)",
    });
    if (this.sessionTier) {
      new CfnOutput(this, 'SessionTable', {
        value: this.sessionTier.table.tableName,
        description: 'The shared session tier (the revocation bound is event delivery + UserCheckTtlSeconds)',
      });
    }
    new CfnOutput(this, 'DashboardName', { value: this.operations.dashboard.dashboardName });

    // ---------------------------------------------------------------- GitHub deploy role
    if (props.githubDeploy) {
      this.deployRole = this.githubDeployRole(props.githubDeploy, prefix);
    }
  }

  /**
   * A role GitHub Actions assumes with its OIDC token (no stored AWS keys) to run `make deploy`
   * and `make smoke`, for one repository's jobs in one GitHub environment only.
   *
   * It deploys the way the CDK CLI does: by assuming the bootstrap roles (the CloudFormation
   * execution role does the work), so it holds no rights over the stack's resources itself, beyond
   * what the smoke check needs: throw-away users in this user pool, their identities in this
   * identity pool, and the objects under the users' prefix (and its `-shared` copies) of this bucket.
   */
  private githubDeployRole(settings: GithubDeploySettings, prefix: string): iam.Role {
    const repository = settings.repository;
    if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository)) {
      throw new Error(`githubRepo '${repository}': owner/name`);
    }
    const environment = settings.environment ?? DEFAULTS.githubEnvironment;
    if (!/^[A-Za-z0-9_.-]{1,255}$/.test(environment)) throw new Error(`githubEnvironment '${environment}': letters, digits, _ . -`);
    const qualifier = settings.cdkQualifier ?? DEFAULTS.cdkQualifier;
    if (!/^[a-z0-9]{1,10}$/.test(qualifier)) throw new Error(`cdkQualifier '${qualifier}': lowercase letters and digits, at most 10`);

    let providerArn = settings.oidcProviderArn;
    if (providerArn === undefined) {
      providerArn = new iam.OidcProviderNative(this, 'GithubOidcProvider', {
        url: `https://${GITHUB_OIDC_HOST}`,
        clientIds: ['sts.amazonaws.com'],
      }).oidcProviderArn;
    } else if (!new RegExp(`^arn:aws[a-z-]*:iam::\\d{12}:oidc-provider/${GITHUB_OIDC_HOST.replace(/\./g, '\\.')}$`).test(providerArn)) {
      throw new Error(`githubOidcProvider '${providerArn}': the ARN of the account's ${GITHUB_OIDC_HOST} provider`);
    }

    const role = new iam.Role(this, 'GithubDeployRole', {
      description: `GitHub Actions: ${repository}, environment ${environment}: make deploy and make smoke`,
      maxSessionDuration: Duration.hours(1),
      assumedBy: new iam.FederatedPrincipal(providerArn, {
        StringEquals: {
          [`${GITHUB_OIDC_HOST}:aud`]: 'sts.amazonaws.com',
          // A job that names the environment gets this subject, whatever branch or tag it runs on:
          // the environment's protection rules decide which refs and reviewers may deploy.
          [`${GITHUB_OIDC_HOST}:sub`]: `repo:${repository}:environment:${environment}`,
        },
      }, 'sts:AssumeRoleWithWebIdentity'),
    });
    const arn = (service: string, resource: string, region: string = Aws.REGION) =>
      `arn:${Aws.PARTITION}:${service}:${region}:${Aws.ACCOUNT_ID}:${resource}`;
    const cdkRole = (name: string) => arn('iam', `role/cdk-${qualifier}-${name}-${Aws.ACCOUNT_ID}-${Aws.REGION}`, '');
    const statements = [
      new iam.PolicyStatement({
        sid: 'DeployThroughTheCdkBootstrapRoles',
        actions: ['sts:AssumeRole', 'sts:TagSession'],
        resources: [cdkRole('deploy-role'), cdkRole('file-publishing-role'), cdkRole('lookup-role')],
      }),
      new iam.PolicyStatement({
        sid: 'PreflightReadsTheBootstrapVersion',
        actions: ['ssm:GetParameter'],
        resources: [arn('ssm', `parameter/cdk-bootstrap/${qualifier}/version`)],
      }),
      new iam.PolicyStatement({
        sid: 'PreflightAndOutputsReadThisStack',
        actions: ['cloudformation:DescribeStacks'],
        resources: [this.stackId],
      }),
      new iam.PolicyStatement({
        sid: 'SmokeThrowAwayUsers',
        actions: [
          'cognito-idp:AdminCreateUser', 'cognito-idp:AdminSetUserPassword', 'cognito-idp:AdminInitiateAuth',
          'cognito-idp:AdminDisableUser', 'cognito-idp:AdminDeleteUser', 'cognito-idp:AdminGetUser',
        ],
        resources: [this.userPool.userPoolArn],
      }),
      new iam.PolicyStatement({
        sid: 'SmokeRemovesItsIdentities',
        actions: ['cognito-identity:DeleteIdentities', 'cognito-identity:ListIdentities'],
        resources: [arn('cognito-identity', `identitypool/${this.identityPool.identityPoolId}`)],
      }),
      new iam.PolicyStatement({
        sid: 'SmokeListsWhatItLeft',
        actions: ['s3:ListBucket', 's3:ListBucketVersions'],
        resources: [this.bucket.bucketArn],
        // The users' folders and the copies shared with them (`<prefix>-shared/`).
        conditions: { StringLike: { 's3:prefix': [`${prefix}/*`, `${prefix}-shared/*`] } },
      }),
      new iam.PolicyStatement({
        sid: 'SmokeRemovesWhatItLeft',
        actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
        resources: [this.bucket.arnForObjects(`${prefix}/*`), this.bucket.arnForObjects(`${prefix}-shared/*`)],
      }),
    ];
    const policy = new iam.Policy(this, 'GithubDeployPolicy', {
      roles: [role],
      document: new iam.PolicyDocument({ statements, minimize: false }),
    });
    for (const under of [prefix, `${prefix}-shared`]) {
      this.ack(policy, `AwsSolutions-IAM5[Resource::<${this.logicalIdOf(this.bucket)}.Arn>/${under}/*]`,
        "The smoke check's users get new IdentityIds on every run, so their folders cannot be named " +
        `in advance; the grant is deletion under ${under}/ only, to remove what a run left.`);
    }
    new CfnOutput(this, 'GithubDeployRoleArn', { value: role.roleArn, description: 'vars.AWS_DEPLOY_ROLE_ARN of the GitHub environment' });
    new CfnOutput(this, 'GithubDeployRepository', { value: `${repository}:${environment}` });
    return role;
  }

  /**
   * An AWS WAF web ACL on the stage with one rate-based rule keyed on the caller.
   *
   * The key is the `X-Amz-Security-Token` header, the session token of the caller's identity-pool
   * keys, not the `idToken` header. WAF counts before API Gateway checks the signature, so any
   * header value can be sent; but a request only reaches the function (and Cognito) when the
   * signature verifies with that session token. A caller who varies `idToken` keeps a valid
   * signature and would get a fresh counter per request; a new session token costs a
   * GetCredentialsForIdentity call (a quota of its own, and a valid ID token of an existing user)
   * and changes at most once per key exchange. Requests without the header (unsigned, or signed
   * with long-term keys) are not counted by this rule; API Gateway refuses unsigned ones and the
   * function any signer that is not an identity of the pool. Sampled requests are off: WAF would
   * keep whole requests, tokens included, for the console.
   */
  private perCallerRateLimit(waf: Required<WafSettings>, frontendOrigin: string): wafv2.CfnWebACL {
    const metric = (name: string) => `${this.stackName}-${name}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 128);
    const acl = new wafv2.CfnWebACL(this, 'ApiWebAcl', {
      description: 'read-file API - rate limit per caller, keyed on the identity-pool session token',
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: false, metricName: metric('api') },
      customResponseBodies: {
        RateLimited: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({
            status: 'error',
            error: { code: 'rate_limited', message: 'too many requests from these credentials; retry later' },
          }),
        },
      },
      rules: [{
        name: 'PerCallerRateLimit',
        priority: 0,
        action: {
          block: {
            customResponse: {
              responseCode: 429,
              customResponseBodyKey: 'RateLimited',
              // The browser must see the 429, not a CORS failure.
              responseHeaders: [
                { name: 'Access-Control-Allow-Origin', value: frontendOrigin },
                { name: 'Vary', value: 'Origin' },
                { name: 'Retry-After', value: String(waf.windowSeconds) },
              ],
            },
          },
        },
        statement: {
          rateBasedStatement: {
            limit: waf.rateLimit,
            evaluationWindowSec: waf.windowSeconds,
            aggregateKeyType: 'CUSTOM_KEYS',
            customKeys: [{ header: { name: WAF_KEY_HEADER, textTransformations: [{ priority: 0, type: 'NONE' }] } }],
          },
        },
        visibilityConfig: { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: false, metricName: metric('per-caller') },
      }],
    });
    new wafv2.CfnWebACLAssociation(this, 'ApiWebAclAssociation', {
      resourceArn: this.api.deploymentStage.stageArn,
      webAclArn: acl.attrArn,
    });
    return acl;
  }

  /** Acknowledge a cdk-nag finding on `scope` with a written reason, and remember it. */
  private ack(scope: IConstruct, id: string, reason: string): void {
    if (reason.trim().length < 40) throw new Error(`nag acknowledgement ${id} needs a real reason`);
    if (this.acknowledgeNagFindings) Validations.of(scope).acknowledge({ id, reason });
    this.acknowledgements.push({ path: scope.node.path, id, reason });
  }

  private logicalIdOf(construct: IConstruct): string {
    return this.getLogicalId(construct.node.defaultChild as import('aws-cdk-lib').CfnElement);
  }
}

/** A FederatedPrincipal built from a one-statement trust policy document. */
function federatedPrincipalFrom(doc: PolicyJson): iam.FederatedPrincipal {
  if (doc.Statement.length !== 1) throw new Error('trust policy: expected exactly one statement');
  const st = doc.Statement[0];
  const federated = st.Principal?.Federated;
  if (st.Effect !== 'Allow' || typeof federated !== 'string' || typeof st.Action !== 'string') {
    throw new Error('trust policy: expected Allow, one Federated principal and one Action');
  }
  return new iam.FederatedPrincipal(federated, st.Condition ?? {}, st.Action);
}

/** A PolicyDocument holding exactly the given statements, in order, unminimized. */
function policyDocumentFrom(doc: PolicyJson): iam.PolicyDocument {
  return new iam.PolicyDocument({
    statements: doc.Statement.map((s) => iam.PolicyStatement.fromJson(s)),
    minimize: false,
  });
}

/** Every S3 action that returns an object's content (or a part of it). */
export const LOG_READ_ACTIONS = [
  's3:GetObject',
  's3:GetObjectVersion',
  's3:GetObjectAttributes',
  's3:GetObjectVersionAttributes',
  's3:GetObjectTorrent',
  's3:GetObjectVersionTorrent',
] as const;

function wafSettings(w: WafSettings = {}): Required<WafSettings> {
  const rateLimit = w.rateLimit ?? DEFAULTS.wafRateLimit;
  const windowSeconds = w.windowSeconds ?? DEFAULTS.wafWindowSeconds;
  if (!Number.isInteger(rateLimit) || rateLimit < 10 || rateLimit > 2_000_000_000) {
    throw new Error(`wafRateLimit ${rateLimit}: an integer from 10 (WAF's minimum) to 2000000000`);
  }
  if (![60, 120, 300, 600].includes(windowSeconds)) {
    throw new Error(`wafWindowSeconds ${windowSeconds}: one of 60, 120, 300, 600 (WAF's windows)`);
  }
  return { enabled: w.enabled ?? true, rateLimit, windowSeconds };
}

function validLogReaders(arns: readonly string[]): string[] {
  for (const arn of arns) {
    if (!/^arn:aws[a-z-]*:(iam|sts)::(\d{12}|\*):[A-Za-z0-9+=,.@_/*-]+$/.test(arn)) {
      throw new Error(`logReaders: '${arn}' is not an IAM principal ARN (arn:aws:iam::123456789012:role/name)`);
    }
  }
  return [...arns];
}

function positiveDays(days: number, name: string): number {
  if (!Number.isInteger(days) || days < 1) throw new Error(`${name} ${days}: a whole number of days, at least 1`);
  return days;
}

function validTtl(seconds: number): number {
  // The function's own bounds (USER_CHECK_TTL_SECONDS, 0..=3600): synth fails, not the cold start.
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 3600) {
    throw new Error(`userCheckTtlSeconds ${seconds}: a whole number of seconds from 0 to 3600`);
  }
  return seconds;
}

function validPrefix(prefix: string): string {
  if (!/^[A-Za-z0-9!_.'()-]+(\/[A-Za-z0-9!_.'()-]+)*$/.test(prefix)) {
    throw new Error(`s3Prefix '${prefix}': use path segments of letters, digits and !_.'()- without leading or trailing '/'`);
  }
  return prefix;
}

function validStageName(name: string): string {
  if (!/^[A-Za-z0-9_]{1,128}$/.test(name)) throw new Error(`stageName '${name}': letters, digits and _ only`);
  return name;
}

function validOrigin(origin: string): string {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new Error(`frontendOrigin '${origin}' is not a URL`);
  }
  if (url.origin !== origin || !/^https?:$/.test(url.protocol)) {
    throw new Error(`frontendOrigin '${origin}': give a bare origin like https://app.example.com (no path, no trailing '/')`);
  }
  return origin;
}
