// The shared session tier: the DynamoDB table every Lambda environment shares, and the
// revocations it is told about: an EventBridge rule on the user pool's revoking calls (as
// CloudTrail records them) and the `revocations` function that writes them into the table. With
// `trail: true`, a CloudTrail trail too (EventBridge receives "AWS API Call via CloudTrail" events
// only while a trail logs the account's management events; many accounts have one already).
//
// The table's key and TTL come from infra/tables/session.json, the definition the local stack
// creates its table from; the two functions' grants from infra/policies/ (lambda-session-table,
// revocations-session-table), the documents the local stack enforces.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { RustFunction } from 'cargo-lambda-cdk';
import { Construct, type IConstruct } from 'constructs';
import { localBundlerFor, type LambdaAsset } from './lambda-asset';
import { renderPolicy, type PolicyJson } from './policies';

/** infra/tables/session.json: the table as both the CDK app and the local stack create it. */
export interface SessionTableSpec {
  readonly partitionKey: { readonly name: string; readonly type: 'S' | 'N' | 'B' };
  readonly sortKey: { readonly name: string; readonly type: 'S' | 'N' | 'B' };
  readonly billingMode: 'PAY_PER_REQUEST';
  readonly timeToLiveAttribute: string;
}

export const SESSION_TABLE_FILE = path.join(__dirname, '..', 'tables', 'session.json');

export function loadSessionTable(): SessionTableSpec {
  const spec = JSON.parse(readFileSync(SESSION_TABLE_FILE, 'utf8')) as SessionTableSpec;
  if (spec.billingMode !== 'PAY_PER_REQUEST') throw new Error(`${SESSION_TABLE_FILE}: on-demand only`);
  return spec;
}

/** The user-pool calls the rule sends to the revocations function (src/revocation.rs). */
export const REVOKING_CALLS = [
  'AdminDisableUser',
  'AdminDeleteUser',
  'AdminUserGlobalSignOut',
  'GlobalSignOut',
  'DeleteUser',
  'AdminEnableUser',
] as const;

export interface SessionTierProps {
  /** The user pool whose revoking calls apply. */
  readonly userPool: { readonly userPoolId: string };
  /** Where the functions' code comes from (see lambda-asset.ts). */
  readonly lambdaAsset: LambdaAsset;
  /** The Cargo manifest of the crate (both binaries). */
  readonly cargoManifest: string;
  /** Retention of the revocations function's log group. */
  readonly logRetention: logs.RetentionDays;
  /** What happens to the log group (and the trail's buckets) when the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
  /** Create a CloudTrail trail of the account's management (write) events. @default false */
  readonly trail?: boolean;
  /** Where the trail's bucket logs its own accesses (the stack's access-log bucket). */
  readonly accessLogsBucket: s3.IBucket;
  /** Records a cdk-nag acknowledgement (the stack's own list). */
  readonly ack: (scope: IConstruct, id: string, reason: string) => void;
}

export class SessionTier extends Construct {
  readonly table: dynamodb.Table;
  readonly revocations: lambda.Function;
  readonly revocationsRole: iam.Role;
  readonly rule: events.Rule;
  readonly trail?: cloudtrail.Trail;

  constructor(scope: Construct, id: string, props: SessionTierProps) {
    super(scope, id);
    const spec = loadSessionTable();
    const attributeType = (t: 'S' | 'N' | 'B') =>
      ({ S: dynamodb.AttributeType.STRING, N: dynamodb.AttributeType.NUMBER, B: dynamodb.AttributeType.BINARY })[t];

    // A cache in front of Cognito: everything in it can be asked again, so no backups and no
    // retention; DynamoDB encrypts it at rest (AWS owned key), and what is secret in it (each
    // token's keys) is sealed with a key only that token yields.
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: spec.partitionKey.name, type: attributeType(spec.partitionKey.type) },
      sortKey: { name: spec.sortKey.name, type: attributeType(spec.sortKey.type) },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: spec.timeToLiveAttribute,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    props.ack(this.table, 'AwsSolutions-DDB3',
      'The session table is a cache of what Cognito answers (verdicts, IdentityIds, sealed keys ' +
      'that expire within the hour): a lost table costs Cognito calls, never data, so point-in-time ' +
      'recovery would back up nothing worth restoring.');

    const logGroup = new logs.LogGroup(this, 'RevocationsLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.revocationsRole = new iam.Role(this, 'RevocationsRole', {
      description: 'revocations Lambda: a user\'s verdict and sealed keys in the session table, and its own logs',
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: {
        SessionTable: policyDocumentFrom(renderPolicy('revocations-session-table', { TABLE_ARN: this.table.tableArn })),
        Logs: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'OwnLogs',
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [logGroup.logGroupArn],
            }),
          ],
        }),
      },
    });

    const bundler = localBundlerFor(props.lambdaAsset, 'revocations');
    this.revocations = new RustFunction(this, 'RevocationsFunction', {
      manifestPath: props.cargoManifest,
      binaryName: 'revocations',
      runtime: 'provided.al2023',
      architecture: lambda.Architecture.ARM_64,
      description: 'Writes the user pool\'s revoking calls (disable, delete, sign-out, enable) into the session table',
      memorySize: 128,
      timeout: Duration.seconds(10),
      role: this.revocationsRole,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      environment: {
        USER_POOL_ID: props.userPool.userPoolId,
        SESSION_TABLE: this.table.tableName,
      },
      bundling: bundler ? { dockerOptions: { local: bundler } } : undefined,
    });

    // CloudTrail's record of the calls, as EventBridge delivers it (best effort, usually within
    // seconds). Failed calls are recorded too, with an errorCode: they revoke nothing. The pool is
    // checked by the function: calls made with an access token (GlobalSignOut, DeleteUser) name
    // none, and a `sub` belongs to one pool only.
    this.rule = new events.Rule(this, 'RevokingCalls', {
      description: 'The user pool\'s revoking calls (CloudTrail) to the revocations function',
      eventPattern: {
        source: ['aws.cognito-idp'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['cognito-idp.amazonaws.com'],
          eventName: [...REVOKING_CALLS],
          errorCode: [{ exists: false }],
        },
      },
    });
    // A failed invocation (the table unreachable) is retried; an event still lost is what the
    // shared verdict's TTL covers (SHARED_USER_CHECK_TTL_SECONDS).
    this.rule.addTarget(new targets.LambdaFunction(this.revocations, {
      retryAttempts: 8,
      maxEventAge: Duration.minutes(15),
    }));

    if (props.trail) {
      const key = new kms.Key(this, 'TrailKey', {
        description: 'Encrypts the read-file trail\'s log files',
        enableKeyRotation: true,
        removalPolicy: props.removalPolicy,
      });
      const trailBucket = new s3.Bucket(this, 'TrailBucket', {
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        minimumTLSVersion: 1.2,
        encryption: s3.BucketEncryption.S3_MANAGED,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        serverAccessLogsBucket: props.accessLogsBucket,
        serverAccessLogsPrefix: 'trail-bucket/',
        lifecycleRules: [{ expiration: Duration.days(90) }],
        removalPolicy: props.removalPolicy,
      });
      this.trail = new cloudtrail.Trail(this, 'Trail', {
        bucket: trailBucket,
        encryptionKey: key,
        enableFileValidation: true,
        includeGlobalServiceEvents: true,
        isMultiRegionTrail: false,
        managementEvents: cloudtrail.ReadWriteType.WRITE_ONLY,
        sendToCloudWatchLogs: false,
      });
    }
  }
}

/** A PolicyDocument holding exactly the given statements, in order, unminimized. */
function policyDocumentFrom(doc: PolicyJson): iam.PolicyDocument {
  return new iam.PolicyDocument({
    statements: doc.Statement.map((s) => iam.PolicyStatement.fromJson(s)),
    minimize: false,
  });
}
