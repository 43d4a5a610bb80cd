#!/usr/bin/env node
// Entry point of `cdk synth` / `cdk deploy` (see cdk.json). Settings: lib/app.ts.
// cdk.json's context is given as defaults so that running this file directly matches the CLI,
// which passes the same values (and any `-c` overrides) through the environment.
import { buildApp, cdkJsonContext } from '../lib/app';

buildApp({ context: cdkJsonContext() }).app.synth();
