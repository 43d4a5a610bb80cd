// Operating the stack (issue 22): alarms on what `make capacity` predicts will bind first (the
// account's Cognito quotas), on the function and the API, and on the shared tier's table; one
// dashboard with those and the function's own metrics (its EMF records, src/emf.rs: cache hit
// rates, upstream calls and their outcomes, cold starts).
//
// Every threshold is a `-c` context value (lib/app.ts); with `-c alarmTopic=<SNS topic ARN>` every
// alarm notifies that topic when it fires and when it clears. docs/operations.md lists them all.
import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** The namespace of the function's EMF records (src/emf.rs `NAMESPACE`). */
export const EMF_NAMESPACE = 'ReadFile';

/** Alarm thresholds, each a `-c` context key of the same name (lib/app.ts). */
export interface AlarmSettings {
  /** SNS topic ARN every alarm notifies (alarm and OK). @default none */
  readonly alarmTopic?: string;
  /** Percent of a Cognito quota in use (calls/s over a minute against the applied quota). @default 80 */
  readonly quotaAlarmPercent?: number;
  /** Function errors (a crash, a timeout: the handler itself answers every error as JSON) per 5 minutes. @default 1 */
  readonly functionErrorsThreshold?: number;
  /** Function throttles (concurrency exhausted) per 5 minutes. @default 1 */
  readonly functionThrottlesThreshold?: number;
  /** p99 of the function's duration, ms, over 5 minutes. @default 3000 (one upstream budget) */
  readonly p99DurationMs?: number;
  /** Percent of API requests answered 5xx over 5 minutes. @default 1 */
  readonly api5xxPercent?: number;
  /** Percent of API requests answered 4xx (429 throttles, 401/403 refusals) over 5 minutes. @default 10 */
  readonly api4xxPercent?: number;
  /** Throttled requests on the session table per 5 minutes. @default 1 */
  readonly tableThrottlesThreshold?: number;
}

export const ALARM_DEFAULTS = {
  quotaAlarmPercent: 80,
  functionErrorsThreshold: 1,
  functionThrottlesThreshold: 1,
  p99DurationMs: 3000,
  api5xxPercent: 1,
  api4xxPercent: 10,
  tableThrottlesThreshold: 1,
} as const;

/**
 * The Cognito quotas the function spends (docs/capacity.md), as AWS/Usage names them: the user
 * pools' UserRead category (AdminGetUser) and the identity pools' GetId and
 * GetCredentialsForIdentity operations. The Service values are context keys too
 * (`usageServiceUserPools`, `usageServiceIdentityPools`) in case an account names them otherwise.
 */
export const COGNITO_QUOTAS = [
  { id: 'UserRead', service: 'userPools', resource: 'UserRead', operation: 'cognito-idp:AdminGetUser' },
  { id: 'GetId', service: 'identityPools', resource: 'GetId', operation: 'cognito-identity:GetId' },
  {
    id: 'GetCredentialsForIdentity',
    service: 'identityPools',
    resource: 'GetCredentialsForIdentity',
    operation: 'cognito-identity:GetCredentialsForIdentity',
  },
] as const;

export const USAGE_SERVICE_DEFAULTS = {
  // "Cognito user pool": the Service dimension the Cognito developer guide gives for its usage
  // metrics (dimensions-for-cognito-user-pools).
  userPools: 'Cognito user pool',
  identityPools: 'Cognito identity pool',
};

export interface OperationsProps extends AlarmSettings {
  readonly function: lambda.IFunction;
  readonly api: apigw.RestApi;
  /** The shared tier's table, if the stack has one. */
  readonly table?: dynamodb.ITable;
  /** AWS/Usage Service dimension values (see COGNITO_QUOTAS). */
  readonly usageServiceUserPools?: string;
  readonly usageServiceIdentityPools?: string;
}

const FIVE_MINUTES = Duration.minutes(5);

export class Operations extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const s = { ...ALARM_DEFAULTS, ...defined(props) };
    const topic = props.alarmTopic ? sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopic) : undefined;
    const usageService = {
      userPools: props.usageServiceUserPools ?? USAGE_SERVICE_DEFAULTS.userPools,
      identityPools: props.usageServiceIdentityPools ?? USAGE_SERVICE_DEFAULTS.identityPools,
    };
    const alarm = (name: string, metric: cloudwatch.IMetric, threshold: number, description: string, periods = 1) => {
      const a = new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No traffic is no trouble (quota use, error rates); docs/operations.md says why.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      if (topic) {
        a.addAlarmAction(new actions.SnsAction(topic));
        a.addOkAction(new actions.SnsAction(topic));
      }
      this.alarms.push(a);
      return a;
    };

    // ------------------------------------------------------------ Cognito quotas (AWS/Usage)
    const quotaUse = COGNITO_QUOTAS.map((q) => {
      const calls = new cloudwatch.Metric({
        namespace: 'AWS/Usage',
        metricName: 'CallCount',
        dimensionsMap: { Service: usageService[q.service], Type: 'API', Resource: q.resource },
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(1),
      });
      // Calls per second over the minute, against the quota applied to the account (requests
      // per second): a raised quota moves the alarm with it.
      // Ids unique per quota: the dashboard graphs the three together.
      const id = `calls${q.id}`;
      const use = new cloudwatch.MathExpression({
        expression: `100 * (${id} / PERIOD(${id})) / SERVICE_QUOTA(${id})`,
        usingMetrics: { [id]: calls },
        label: `${q.resource} (% of quota)`,
        period: Duration.minutes(1),
      });
      alarm(`Quota${q.id}`, use, s.quotaAlarmPercent,
        `Cognito ${q.resource} calls at ${s.quotaAlarmPercent}% or more of the account's applied quota ` +
        '(three minutes in a row). The function calls it (docs/capacity.md): raise the quota or the ' +
        'caches\' TTLs before Cognito throttles.', 3);
      return use;
    });

    // ------------------------------------------------------------ the function
    const fn = props.function;
    const errors = fn.metricErrors({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM });
    const throttles = fn.metricThrottles({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM });
    const p99 = fn.metricDuration({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.p(99) });
    alarm('FunctionErrors', errors, s.functionErrorsThreshold,
      'The read-file function failed invocations (a crash or Lambda\'s timeout): the handler answers ' +
      'every error it knows as JSON, so any failed invocation is a bug or a stall.');
    alarm('FunctionThrottles', throttles, s.functionThrottlesThreshold,
      'Lambda throttled the read-file function: the account\'s or the function\'s concurrency is used up.');
    alarm('FunctionP99Duration', p99, s.p99DurationMs,
      `p99 of the read-file function's duration at ${s.p99DurationMs} ms or more over 5 minutes: an ` +
      'upstream is slow (see the dashboard\'s call latency per API).');

    // ------------------------------------------------------------ the API stage
    const stage = props.api.deploymentStage;
    const count = stage.metricCount({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM });
    const rate = (name: string, m: cloudwatch.IMetric) => new cloudwatch.MathExpression({
      expression: `IF(requests > 0, 100 * errors${name} / requests, 0)`,
      usingMetrics: { [`errors${name}`]: m, requests: count },
      label: `${name} (% of requests)`,
      period: FIVE_MINUTES,
    });
    const rate5xx = rate('5xx', stage.metricServerError({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }));
    const rate4xx = rate('4xx', stage.metricClientError({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }));
    alarm('Api5xxRate', rate5xx, s.api5xxPercent,
      `${s.api5xxPercent}% or more of the API's requests answered 5xx over 5 minutes (upstream failures, ` +
      'timeouts, throttling by Cognito or S3: the dashboard\'s refusals by code tell which).');
    alarm('Api4xxRate', rate4xx, s.api4xxPercent,
      `${s.api4xxPercent}% or more of the API's requests answered 4xx over 5 minutes: the stage throttle ` +
      '(429) as traffic grows, or refused signatures and tokens.');

    // ------------------------------------------------------------ the shared tier's table
    let tableThrottles: cloudwatch.IMetric | undefined;
    if (props.table) {
      tableThrottles = props.table.metricThrottledRequestsForOperations({
        operations: [
          dynamodb.Operation.GET_ITEM,
          dynamodb.Operation.BATCH_GET_ITEM,
          dynamodb.Operation.PUT_ITEM,
          dynamodb.Operation.UPDATE_ITEM,
          dynamodb.Operation.QUERY,
          dynamodb.Operation.DELETE_ITEM,
        ],
        period: FIVE_MINUTES,
      });
      alarm('SessionTableThrottles', tableThrottles, s.tableThrottlesThreshold,
        'DynamoDB throttled the session table: each throttled read is a miss that goes to Cognito ' +
        '(the function counts them as TableFaults), so quota use rises next.');
    }

    // ------------------------------------------------------------ the dashboard
    const emf = (metricName: string, statistic: string, dims: Record<string, string> = {}) => new cloudwatch.Metric({
      namespace: EMF_NAMESPACE,
      metricName,
      dimensionsMap: { Service: fn.functionName, ...dims },
      statistic,
      period: FIVE_MINUTES,
    });
    const share = (kind: string) => ['LocalHit', 'SharedHit', 'Miss'].map((tier) => new cloudwatch.MathExpression({
      expression: `100 * ${tier.toLowerCase()}`,
      usingMetrics: { [tier.toLowerCase()]: emf(`${kind}${tier}`, cloudwatch.Stats.AVERAGE) },
      label: `${tier} %`,
      period: FIVE_MINUTES,
    }));
    const perApi = (metricName: string, statistic: string) => COGNITO_QUOTAS.map((q) =>
      emf(metricName, statistic, { Api: q.operation }).with({ label: q.operation }));

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Cognito quota use (% of the applied quota)',
            left: quotaUse,
            leftAnnotations: [{ value: s.quotaAlarmPercent, label: 'alarm' }],
            width: 12,
          }),
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 12 }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Verdict cache (share of requests)', left: share('Verdict'), width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Identity cache (share of requests)', left: share('Identity'), width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Keys cache (share of requests)', left: share('Keys'), width: 8 }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Cognito calls by the function (attempts)', left: perApi('Calls', cloudwatch.Stats.SUM), width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Cognito calls throttled', left: perApi('Throttled', cloudwatch.Stats.SUM), width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Cognito call latency p99 (ms)', left: perApi('CallLatency', cloudwatch.Stats.p(99)), width: 8 }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'API errors (% of requests)', left: [rate5xx, rate4xx], width: 8 }),
          new cloudwatch.GraphWidget({
            title: 'Function: errors, throttles, cold starts',
            left: [
              errors.with({ label: 'errors' }),
              throttles.with({ label: 'throttles' }),
              emf('ColdStart', cloudwatch.Stats.SUM).with({ label: 'environments started' }),
            ],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Function: duration p99 and init (ms)',
            left: [p99.with({ label: 'duration p99' }), emf('InitDuration', cloudwatch.Stats.MAXIMUM).with({ label: 'init (max)' })],
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Session table: throttles and faults seen by the function',
            left: [
              ...(tableThrottles ? [tableThrottles] : []),
              emf('TableFaults', cloudwatch.Stats.SUM).with({ label: 'faults (function)' }),
            ],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Requests (all routes), latency p99 (ms)',
            left: [emf('Requests', cloudwatch.Stats.SUM).with({ label: 'requests' })],
            right: [emf('Latency', cloudwatch.Stats.p(99)).with({ label: 'latency p99' })],
            width: 12,
          }),
        ],
      ],
    });
  }
}

/** The settings that were given (undefined ones do not override the defaults). */
function defined(props: AlarmSettings): Partial<Record<keyof typeof ALARM_DEFAULTS, number>> {
  const out: Partial<Record<keyof typeof ALARM_DEFAULTS, number>> = {};
  for (const key of Object.keys(ALARM_DEFAULTS) as (keyof typeof ALARM_DEFAULTS)[]) {
    const v = props[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}
