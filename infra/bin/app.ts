#!/usr/bin/env node
// Entry point of `cdk synth` / `cdk deploy` (see cdk.json). Settings: lib/app.ts.
import { buildApp } from '../lib/app';

buildApp().app.synth();
