// The one API source (infra/api/api.json): the deployed API is built from it, the invoke grant
// names exactly its routes, and the local gateway (infra/local/gateway) reads the same values.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { API_FILE, invokePathPattern, loadApiSource } from '../lib/api';
import { renderPolicy } from '../lib/policies';
import { asArray, evaluate, logicalId, resourcesOfType, synth, type CfnTemplate } from './helpers';

const api = loadApiSource();
const { stack, json: t } = synth();
const apiId = logicalId(stack, stack.api);
const stageId = logicalId(stack, stack.api.deploymentStage);

/** "/a/b" of an AWS::ApiGateway::Resource, following ParentId up to the root. */
function resourcePath(tpl: CfnTemplate, id: string): string {
  const r = tpl.Resources[id].Properties!;
  const parent = r.ParentId;
  const up = parent.Ref ? resourcePath(tpl, parent.Ref) : '';
  return `${up}/${r.PathPart}`;
}

function deployedMethods(tpl: CfnTemplate) {
  return resourcesOfType(tpl, 'AWS::ApiGateway::Method').map(([, m]) => {
    const p = m.Properties!;
    return { method: p.HttpMethod as string, path: p.ResourceId.Ref ? resourcePath(tpl, p.ResourceId.Ref) : '/', props: p };
  });
}

describe('infra/api/api.json is what the CDK app deploys', () => {
  it('every route, and nothing else, is an AWS_IAM Lambda proxy method; every route path has one unsigned preflight', () => {
    const methods = deployedMethods(t);
    const routes = methods.filter((m) => m.method !== 'OPTIONS');
    assert.deepEqual(routes.map((m) => `${m.method} ${m.path}`).sort(), api.routes.map((r) => `${r.method} ${r.path}`).sort());
    for (const m of routes) {
      assert.equal(m.props.AuthorizationType, 'AWS_IAM');
      assert.equal(m.props.Integration.Type, 'AWS_PROXY');
    }
    const preflights = methods.filter((m) => m.method === 'OPTIONS');
    assert.deepEqual(preflights.map((m) => m.path).sort(), [...new Set(api.routes.map((r) => r.path))].sort());
  });

  it('stage name and throttling', () => {
    const [, stage] = resourcesOfType(t, 'AWS::ApiGateway::Stage')[0];
    assert.equal(stage.Properties!.StageName, api.stageName);
    assert.equal(stage.Properties!.MethodSettings[0].ThrottlingRateLimit, api.throttle.rateLimit);
    assert.equal(stage.Properties!.MethodSettings[0].ThrottlingBurstLimit, api.throttle.burstLimit);
  });

  it('CORS preflight answer: origin, methods, headers, max age', () => {
    const options = deployedMethods(t).find((m) => m.method === 'OPTIONS')!.props;
    const headers = options.Integration.IntegrationResponses[0].ResponseParameters;
    assert.equal(headers['method.response.header.Access-Control-Allow-Origin'], `'${api.cors.allowOrigins[0]}'`);
    assert.equal(headers['method.response.header.Access-Control-Allow-Methods'], `'${api.cors.allowMethods.join(',')}'`);
    assert.equal(headers['method.response.header.Access-Control-Allow-Headers'], `'${api.cors.allowHeaders.join(',')}'`);
    assert.equal(headers['method.response.header.Access-Control-Max-Age'], `'${api.cors.maxAgeSeconds}'`);
  });

  it('the authenticated role may invoke exactly the AWS_IAM routes (infra/policies/invoke-api.json)', () => {
    const names = { 'AWS::Partition': 'aws', 'AWS::Region': 'R', 'AWS::AccountId': 'A', [apiId]: 'API', [stageId]: api.stageName };
    const invoke = resourcesOfType(t, 'AWS::IAM::Policy')
      .flatMap(([, r]) => evaluate(r.Properties!.PolicyDocument, names).Statement)
      .filter((s: any) => asArray(s.Action).includes('execute-api:Invoke'));
    const granted = invoke.flatMap((s: any) => asArray<string>(s.Resource)).sort();
    const expected = api.routes.filter((r) => r.authorization === 'AWS_IAM')
      .map((r) => `arn:aws:execute-api:R:A:API/${api.stageName}/${r.method}${invokePathPattern(r.path)}`).sort();
    assert.deepEqual(granted, expected);
    const rendered = renderPolicy('invoke-api', { PARTITION: 'aws', REGION: 'R', ACCOUNT_ID: 'A', API_ID: 'API', STAGE: api.stageName });
    assert.deepEqual(rendered.Statement.flatMap((s) => asArray(s.Resource)).sort(), expected);
  });

  it('a malformed api.json fails synth, naming the field', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'read-file-api-'));
    try {
      const file = path.join(dir, 'api.json');
      const bad = (patch: object) => {
        writeFileSync(file, JSON.stringify({ ...api, ...patch }));
        return () => loadApiSource(file);
      };
      assert.throws(bad({ stageName: 'v-1' }), /stageName/);
      assert.throws(bad({ routes: [{ ...api.routes[0], authorization: 'NONE' }] }), /AWS_IAM/);
      assert.throws(bad({ routes: [{ ...api.routes[0], path: '/read-file/' }] }), /path/);
      assert.throws(bad({ routes: [{ ...api.routes[0], path: '/files/{name+}/x' }] }), /path/);
      assert.doesNotThrow(bad({ routes: [{ ...api.routes[0], path: '/files/{name+}' }] }));
      assert.equal(invokePathPattern('/files/{name+}'), '/files/*');
      assert.equal(invokePathPattern('/users/{id}/card'), '/users/*/card');
      assert.throws(bad({ routes: [api.routes[0], api.routes[0]] }), /twice/);
      assert.throws(bad({ throttle: { rateLimit: 0, burstLimit: 1 } }), /throttle/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the local gateway reads the same source', () => {
  it('infra/local/gateway/api_source.py loads api.json to the same values as lib/api.ts', () => {
    const script = path.join(__dirname, '..', 'local', 'gateway', 'api_source.py');
    const run = spawnSync('python3', [script, '--dump', API_FILE], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const local = JSON.parse(run.stdout);
    assert.deepEqual(local, {
      stageName: api.stageName,
      throttle: api.throttle,
      cors: api.cors,
      binaryMediaTypes: api.binaryMediaTypes,
      routes: api.routes.map((r) => ({ method: r.method, path: r.path, authorization: r.authorization, integration: r.integration })),
      file: API_FILE,
    });
  });
});
