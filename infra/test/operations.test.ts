// Alarms and the dashboard (lib/operations.ts): each alarm watches what it says, with its
// threshold from context and the SNS topic when one is given; the dashboard shows the quotas, the
// caches' hit rates and the function's own metrics.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, cdkJsonContext } from '../lib/app';
import { ALARM_DEFAULTS, COGNITO_QUOTAS, EMF_NAMESPACE } from '../lib/operations';
import { quietly, synth, tempOutdir } from './helpers';

type Resource = { Type: string; Properties: Record<string, any> };

const alarms = (template: Template): Record<string, Resource> =>
  template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>;

/** The alarm whose logical id starts with Operations<name>. */
function alarmNamed(template: Template, name: string): Resource {
  const found = Object.entries(alarms(template)).filter(([id]) => id.startsWith(`Operations${name}`));
  assert.equal(found.length, 1, `one alarm ${name}: ${Object.keys(alarms(template)).join(', ')}`);
  return found[0][1];
}

/** A CloudFormation value with its references written out, to search it as text. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(text).join('');
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(text).join(sep);
    }
    if ('Ref' in o) return `<${o.Ref as string}>`;
    if ('Fn::GetAtt' in o) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
    return Object.values(o).map(text).join('');
  }
  return String(value);
}

const build = (context: Record<string, unknown>) =>
  quietly(() => buildApp({ context: { ...cdkJsonContext(), lambdaAsset: 'placeholder', ...context }, outdir: tempOutdir() }));

describe('alarms', () => {
  const { template, stack } = synth();

  it('one per Cognito quota: CallCount in AWS/Usage against SERVICE_QUOTA, at 80% by default', () => {
    for (const quota of COGNITO_QUOTAS) {
      const alarm = alarmNamed(template, `Quota${quota.id}`);
      assert.equal(alarm.Properties.Threshold, 80);
      assert.equal(alarm.Properties.ComparisonOperator, 'GreaterThanOrEqualToThreshold');
      const queries = alarm.Properties.Metrics as any[];
      const expression = queries.find((q) => q.Expression);
      assert.equal(expression.Expression, `100 * (calls${quota.id} / PERIOD(calls${quota.id})) / SERVICE_QUOTA(calls${quota.id})`);
      const usage = queries.find((q) => q.MetricStat).MetricStat;
      assert.equal(usage.Metric.Namespace, 'AWS/Usage');
      assert.equal(usage.Metric.MetricName, 'CallCount');
      assert.equal(usage.Stat, 'Sum');
      const dims = Object.fromEntries(usage.Metric.Dimensions.map((d: any) => [d.Name, d.Value]));
      assert.equal(dims.Resource, quota.resource);
      assert.equal(dims.Type, 'API');
    }
  });

  it("on the function: errors, throttles and p99 duration", () => {
    const errors = alarmNamed(template, 'FunctionErrors').Properties;
    assert.deepEqual([errors.MetricName, errors.Namespace, errors.Statistic, errors.Threshold], ['Errors', 'AWS/Lambda', 'Sum', 1]);
    assert.equal(text(errors.Dimensions), `FunctionName<${stack.getLogicalId(stack.function.node.defaultChild as any)}>`);
    const throttles = alarmNamed(template, 'FunctionThrottles').Properties;
    assert.deepEqual([throttles.MetricName, throttles.Threshold], ['Throttles', 1]);
    const p99 = alarmNamed(template, 'FunctionP99Duration').Properties;
    assert.deepEqual([p99.MetricName, p99.ExtendedStatistic, p99.Threshold], ['Duration', 'p99', 3000]);
  });

  it('on the API stage: 5xx and 4xx as a share of its requests', () => {
    for (const [name, metric, threshold] of [['Api5xxRate', '5XXError', 1], ['Api4xxRate', '4XXError', 10]] as const) {
      const errors = `errors${name.slice(3, 6)}`;
      const alarm = alarmNamed(template, name).Properties;
      assert.equal(alarm.Threshold, threshold);
      const queries = alarm.Metrics as any[];
      assert.equal(queries.find((q) => q.Expression).Expression, `IF(requests > 0, 100 * ${errors} / requests, 0)`);
      const names = queries.filter((q) => q.MetricStat).map((q) => q.MetricStat.Metric.MetricName).sort();
      assert.deepEqual(names, ['Count', metric].sort());
      for (const q of queries.filter((q) => q.MetricStat)) {
        const dims = q.MetricStat.Metric.Dimensions.map((d: any) => d.Name).sort();
        assert.deepEqual(dims, ['ApiName', 'Stage'], 'the deployed stage, not all stages');
      }
    }
  });

  it("on the session table's throttles, and only where there is a table", () => {
    const alarm = alarmNamed(template, 'SessionTableThrottles').Properties;
    const metrics = (alarm.Metrics as any[]).filter((q) => q.MetricStat).map((q) => q.MetricStat.Metric);
    assert.ok(metrics.length >= 4, 'every operation the functions use');
    for (const m of metrics) {
      assert.equal(m.MetricName, 'ThrottledRequests');
      assert.match(text(m.Dimensions), /TableName<SessionTier/);
    }
    const without = synth({ sessionTier: false });
    assert.equal(Object.keys(alarms(without.template)).filter((id) => id.includes('SessionTable')).length, 0);
    assert.equal(Object.keys(alarms(without.template)).length, Object.keys(alarms(template)).length - 1);
  });

  it('no alarm action without a topic; quiet periods do not breach', () => {
    for (const alarm of Object.values(alarms(template))) {
      assert.equal(alarm.Properties.AlarmActions, undefined);
      assert.equal(alarm.Properties.TreatMissingData, 'notBreaching');
      assert.ok((alarm.Properties.AlarmDescription as string).length > 40);
    }
  });

  it('-c alarmTopic and the thresholds reach every alarm', () => {
    const topic = 'arn:aws:sns:eu-west-1:123456789012:ops-alarms';
    const { stack } = build({
      alarmTopic: topic, quotaAlarmPercent: '70', functionErrorsThreshold: '3', functionThrottlesThreshold: '4',
      p99DurationMs: '1500', api5xxPercent: '2', api4xxPercent: '25', tableThrottlesThreshold: '5',
    });
    const t = quietly(() => Template.fromStack(stack));
    for (const alarm of Object.values(alarms(t))) {
      assert.deepEqual(alarm.Properties.AlarmActions, [topic]);
      assert.deepEqual(alarm.Properties.OKActions, [topic]);
    }
    const expected: [string, number][] = [
      ['QuotaUserRead', 70], ['QuotaGetId', 70], ['QuotaGetCredentialsForIdentity', 70], ['FunctionErrors', 3],
      ['FunctionThrottles', 4], ['FunctionP99Duration', 1500], ['Api5xxRate', 2], ['Api4xxRate', 25],
      ['SessionTableThrottles', 5],
    ];
    for (const [name, threshold] of expected) assert.equal(alarmNamed(t, name).Properties.Threshold, threshold, name);
    assert.equal(expected.length, Object.keys(alarms(t)).length, 'every alarm has a context key');
    assert.equal(Object.keys(ALARM_DEFAULTS).length, 7);
  });

  for (const [name, value] of [
    ['alarmTopic', 'ops-alarms'], ['alarmTopic', 'arn:aws:sqs:eu-west-1:123456789012:q'], ['quotaAlarmPercent', '0'],
    ['p99DurationMs', 'fast'], ['api4xxPercent', '-5'],
  ] as const) {
    it(`rejects ${name}=${value}`, () => {
      assert.throws(() => build({ [name]: value }), new RegExp(name));
    });
  }
});

describe('the dashboard', () => {
  const { template } = synth();
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as Resource[];

  it('is one, and shows the quotas, the cache hit rates, the calls and every alarm', () => {
    assert.equal(dashboards.length, 1);
    const body = text(dashboards[0].Properties.DashboardBody);
    const parsed = JSON.parse(body.replace(/<[^>]+>/g, 'REF'));
    const widgets = parsed.widgets as any[];
    const titles = widgets.map((w) => w.properties.title);
    for (const title of [
      'Cognito quota use (% of the applied quota)', 'Alarms', 'Verdict cache (share of requests)',
      'Identity cache (share of requests)', 'Keys cache (share of requests)', 'Cognito calls throttled',
    ]) {
      assert.ok(titles.includes(title), `${title} in ${titles.join(' | ')}`);
    }
    for (const needle of ['SERVICE_QUOTA', 'UserRead', 'GetCredentialsForIdentity', EMF_NAMESPACE,
      'VerdictLocalHit', 'VerdictSharedHit', 'VerdictMiss', 'IdentitySharedHit', 'KeysMiss',
      'cognito-identity:GetCredentialsForIdentity', 'ColdStart', 'InitDuration', 'TableFaults', 'ThrottledRequests']) {
      assert.ok(body.includes(needle), `${needle} on the dashboard`);
    }
    const alarmWidget = widgets.find((w) => w.properties.title === 'Alarms');
    assert.equal(alarmWidget.properties.alarms.length, Object.keys(alarms(template)).length);
  });
});
