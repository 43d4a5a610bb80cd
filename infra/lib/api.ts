// Reads the one API source, infra/api/api.json (see infra/api/README.md): the routes, stage,
// throttling and CORS that the CDK app deploys and the local API Gateway (infra/local/gateway) serves.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The file both the CDK app and the local gateway read. */
export const API_FILE = path.join(__dirname, '..', 'api', 'api.json');

export interface ApiRoute {
  readonly method: string;
  readonly path: string;
  readonly authorization: 'AWS_IAM';
  readonly integration: 'lambda-proxy';
}

export interface ApiSource {
  readonly stageName: string;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly cors: {
    readonly allowOrigins: readonly string[];
    readonly allowMethods: readonly string[];
    readonly allowHeaders: readonly string[];
    readonly maxAgeSeconds: number;
  };
  readonly binaryMediaTypes: readonly string[];
  readonly routes: readonly ApiRoute[];
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD'];
// "/a/b", with path parameters "{name}" (one segment) and a greedy last "{name+}" (the rest).
const PATH = /^(\/([A-Za-z0-9._-]+|\{[A-Za-z0-9_]+\}))*(\/\{[A-Za-z0-9_]+\+\})?$/;

/** The IAM resource pattern of a route's path: each path parameter is a wildcard. */
export function invokePathPattern(routePath: string): string {
  return routePath.replace(/\{[A-Za-z0-9_]+\+?\}/g, '*');
}

/** Parse and check api.json; a malformed file fails synth with the field that is wrong. */
export function loadApiSource(file: string = API_FILE): ApiSource {
  const api = JSON.parse(readFileSync(file, 'utf8')) as ApiSource;
  const fail = (what: string): never => {
    throw new Error(`${file}: ${what}`);
  };
  if (typeof api.stageName !== 'string' || !/^[A-Za-z0-9_]{1,128}$/.test(api.stageName)) fail('stageName: letters, digits and _ only');
  if (!(api.throttle?.rateLimit > 0) || !(api.throttle?.burstLimit > 0)) fail('throttle.rateLimit and throttle.burstLimit must be positive');
  if (!Array.isArray(api.cors?.allowOrigins) || api.cors.allowOrigins.length !== 1) fail('cors.allowOrigins: exactly one origin');
  if (!Array.isArray(api.cors.allowMethods) || !Array.isArray(api.cors.allowHeaders)) fail('cors.allowMethods and cors.allowHeaders are lists');
  if (!Number.isInteger(api.cors.maxAgeSeconds) || api.cors.maxAgeSeconds < 0) fail('cors.maxAgeSeconds: a non-negative integer');
  if (!Array.isArray(api.binaryMediaTypes)) fail('binaryMediaTypes: a list');
  if (!Array.isArray(api.routes) || api.routes.length === 0) fail('routes: at least one');
  const seen = new Set<string>();
  for (const r of api.routes) {
    if (!METHODS.includes(r.method)) fail(`route ${r.method} ${r.path}: method must be one of ${METHODS.join(', ')}`);
    if (!PATH.test(r.path) || r.path === '') fail(`route ${r.method} ${r.path}: path like /a/b, /a/{id} or /a/{rest+}, no trailing /`);
    if (r.authorization !== 'AWS_IAM') fail(`route ${r.method} ${r.path}: authorization must be AWS_IAM`);
    if (r.integration !== 'lambda-proxy') fail(`route ${r.method} ${r.path}: integration must be lambda-proxy`);
    const key = `${r.method} ${r.path}`;
    if (seen.has(key)) fail(`route ${key} twice`);
    seen.add(key);
  }
  return api;
}

/** The data bucket's CORS rule (infra/api/bucket-cors.json); the origin is the frontend's. */
export interface BucketCors {
  readonly allowedMethods: readonly ('GET' | 'PUT')[];
  readonly allowedHeaders: readonly string[];
  readonly exposedHeaders: readonly string[];
  readonly maxAgeSeconds: number;
}

/** Parse infra/api/bucket-cors.json (the local stack applies the same file). */
export function loadBucketCors(file: string = path.join(__dirname, '..', 'api', 'bucket-cors.json')): BucketCors {
  const cors = JSON.parse(readFileSync(file, 'utf8')) as BucketCors;
  if (!Array.isArray(cors.allowedMethods) || !cors.allowedMethods.every((m) => m === 'GET' || m === 'PUT')) {
    throw new Error(`${file}: allowedMethods: GET and/or PUT`);
  }
  if (!Array.isArray(cors.allowedHeaders) || !Array.isArray(cors.exposedHeaders) || !Number.isInteger(cors.maxAgeSeconds)) {
    throw new Error(`${file}: allowedHeaders, exposedHeaders (lists), maxAgeSeconds (integer)`);
  }
  return cors;
}
