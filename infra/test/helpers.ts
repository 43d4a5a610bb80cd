// Shared by the tests: build the app exactly as bin/app.ts does (cdk.json's feature flags
// included), with the placeholder Lambda asset, into a throw-away output folder.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { cdkJsonContext } from '../lib/app';
import { ReadFileStack, type ReadFileStackProps } from '../lib/read-file-stack';

const outdirs: string[] = [];
after(() => {
  for (const d of outdirs) rmSync(d, { recursive: true, force: true });
});

export function tempOutdir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'read-file-cdk-'));
  outdirs.push(d);
  return d;
}

export interface Synth {
  readonly app: App;
  readonly stack: ReadFileStack;
  readonly template: Template;
  readonly json: CfnTemplate;
}

export function newApp(context: Record<string, unknown> = {}, postCliContext?: Record<string, unknown>): App {
  return new App({ context: { ...cdkJsonContext(), ...context }, outdir: tempOutdir(), postCliContext });
}

/**
 * Run `fn` with process stdout/stderr held back; print what it wrote only if it throws. Synth
 * prints "Bundling asset ..." and cdk-nag prints its full report, which would bury the test output.
 */
export function quietly<T>(fn: () => T): T {
  const captured: string[] = [];
  const out = process.stdout.write;
  const err = process.stderr.write;
  const hold = ((chunk: unknown) => {
    captured.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = hold;
  process.stderr.write = hold;
  try {
    return fn();
  } catch (e) {
    process.stderr.write = err;
    process.stderr.write(captured.join(''));
    throw e;
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

/** Synthesize one stack (placeholder asset unless props say otherwise); no cdk-nag. */
export function synth(props: ReadFileStackProps = {}): Synth {
  return quietly(() => {
    const app = newApp();
    const stack = new ReadFileStack(app, 'TestStack', { lambdaAsset: { kind: 'placeholder' }, ...props });
    const template = Template.fromStack(stack);
    return { app, stack, template, json: template.toJSON() as CfnTemplate };
  });
}

export interface NagFinding {
  readonly rule: string;
  readonly path: string;
  readonly severity: string;
}

/** Synthesize with cdk-nag AwsSolutionsChecks; return the findings (empty when clean). */
export function synthWithNag(props: ReadFileStackProps = {}): { stack: ReadFileStack; findings: NagFinding[]; error?: unknown } {
  const app = newApp();
  let error: unknown;
  const stack = quietly(() => {
    const s = new ReadFileStack(app, 'NagStack', { lambdaAsset: { kind: 'placeholder' }, ...props });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    try {
      app.synth();
    } catch (e) {
      error = e; // the findings are in the validation report, read below
    }
    return s;
  });
  const report = readValidationReport(app.outdir);
  return { stack, findings: report, error };
}

function readValidationReport(outdir: string): NagFinding[] {
  const file = path.join(outdir, 'validation-report.json');
  if (!existsSync(file)) return [];
  const report = JSON.parse(readFileSync(file, 'utf8')) as {
    pluginReports: { violations: { ruleName: string; severity: string; violatingConstructs: { constructPath: string }[] }[] }[];
  };
  const out: NagFinding[] = [];
  for (const p of report.pluginReports) {
    for (const v of p.violations) {
      for (const c of v.violatingConstructs) out.push({ rule: v.ruleName, path: c.constructPath, severity: v.severity });
    }
  }
  return out;
}

// ------------------------------------------------------------------ template helpers

export interface CfnResource {
  Type: string;
  Properties?: Record<string, any>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string[];
  Metadata?: Record<string, unknown>;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown }>;
}

export function resourcesOfType(t: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(t.Resources).filter(([, r]) => r.Type === type);
}

export function onlyOfType(t: CfnTemplate, type: string): [string, CfnResource] {
  const found = resourcesOfType(t, type);
  if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
  return found[0];
}

export function logicalId(stack: ReadFileStack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.resolve((construct.node.defaultChild as { logicalId: string }).logicalId) as string;
}

/**
 * Evaluate the intrinsics CDK emits into plain values: Ref / Fn::GetAtt become the value given in
 * `names` (key `Logical` or `Logical.Attr`), or `<Logical>` / `<Logical.Attr>` when not given;
 * Fn::Join is joined. Lets a test compare a synthesized policy with a rendered one.
 */
export function evaluate(value: unknown, names: Record<string, string> = {}): any {
  if (Array.isArray(value)) return value.map((v) => evaluate(v, names));
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1 && keys[0] === 'Ref') {
      const n = obj.Ref as string;
      return names[n] ?? `<${n}>`;
    }
    if (keys.length === 1 && keys[0] === 'Fn::GetAtt') {
      const [a, b] = obj['Fn::GetAtt'] as [string, string];
      return names[`${a}.${b}`] ?? `<${a}.${b}>`;
    }
    if (keys.length === 1 && keys[0] === 'Fn::Join') {
      const [sep, parts] = obj['Fn::Join'] as [string, unknown[]];
      return parts.map((p) => {
        const v = evaluate(p, names);
        if (typeof v !== 'string') throw new Error(`Fn::Join part is not a string: ${JSON.stringify(p)}`);
        return v;
      }).join(sep);
    }
    if (keys.some((k) => k.startsWith('Fn::'))) throw new Error(`unhandled intrinsic ${JSON.stringify(value)}`);
    return Object.fromEntries(keys.map((k) => [k, evaluate(obj[k], names)]));
  }
  return value;
}

export function asArray<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Every IAM policy document in the template, with where it sits. */
export function policyDocuments(t: CfnTemplate): { where: string; doc: any; kind: 'identity' | 'trust' | 'resource' }[] {
  const docs: { where: string; doc: any; kind: 'identity' | 'trust' | 'resource' }[] = [];
  for (const [id, r] of Object.entries(t.Resources)) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::IAM::Role') {
      docs.push({ where: `${id}.AssumeRolePolicyDocument`, doc: p.AssumeRolePolicyDocument, kind: 'trust' });
      for (const pol of asArray<any>(p.Policies)) docs.push({ where: `${id}.Policies.${pol.PolicyName}`, doc: pol.PolicyDocument, kind: 'identity' });
    } else if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') {
      docs.push({ where: id, doc: p.PolicyDocument, kind: 'identity' });
    } else if (r.Type === 'AWS::S3::BucketPolicy') {
      docs.push({ where: id, doc: p.PolicyDocument, kind: 'resource' });
    } else if (/Policy/.test(r.Type)) {
      throw new Error(`policy-like resource type not covered by the tests: ${r.Type} (${id})`);
    }
  }
  return docs;
}
