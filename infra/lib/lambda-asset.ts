// Where the Lambda's code comes from.
//
// - `build` (the default, what `cdk deploy` uses): cargo-lambda-cdk runs
//   `cargo lambda build --release --arm64 --bin read-file` on the repo's Cargo.toml during synth.
// - `placeholder`: a tiny `bootstrap` shell script that fails every invocation with a clear message.
//   Tests and offline checks use it, so synth needs neither cargo-lambda nor a cross-compile.
// - a path: a prebuilt function, either the `bootstrap` binary itself or a folder that contains it
//   (what `cargo lambda build --release --arm64` leaves in `target/lambda/read-file/`). The
//   crate's other binary, `revocations`, is then taken from the sibling folder
//   (`target/lambda/revocations/`, built by the same command).
//
// Selected by the environment variable READ_FILE_LAMBDA_ASSET, or the context value
// `lambdaAsset` (`cdk synth -c lambdaAsset=placeholder`); the context value wins.
//
// All three go through the same RustFunction construct: placeholder and prebuilt only replace its
// local bundling step, so the synthesized function (runtime, architecture, handler, role,
// environment) is the one that gets deployed.
import { chmodSync, copyFileSync, existsSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ILocalBundling } from 'aws-cdk-lib';

export type LambdaAsset =
  | { readonly kind: 'build' }
  | { readonly kind: 'placeholder' }
  | { readonly kind: 'prebuilt'; readonly path: string };

export const LAMBDA_ASSET_ENV = 'READ_FILE_LAMBDA_ASSET';
export const LAMBDA_ASSET_CONTEXT = 'lambdaAsset';

/** Parse the switch: '' / undefined / 'build' / 'placeholder' / a path. */
export function parseLambdaAsset(value: string | undefined): LambdaAsset {
  const v = (value ?? '').trim();
  if (v === '' || v === 'build') return { kind: 'build' };
  if (v === 'placeholder') return { kind: 'placeholder' };
  return { kind: 'prebuilt', path: path.resolve(v) };
}

export const PLACEHOLDER_BOOTSTRAP = `#!/bin/sh
# Placeholder synthesized with ${LAMBDA_ASSET_ENV}=placeholder: not the real function.
echo "read-file: this is a placeholder asset; deploy without ${LAMBDA_ASSET_ENV}=placeholder to build the Rust function" >&2
exit 1
`;

/** The bootstrap file of a prebuilt asset path, checked now so a typo fails at synth. */
export function prebuiltBootstrap(p: string): string {
  if (!existsSync(p)) {
    throw new Error(`${LAMBDA_ASSET_ENV}: ${p} does not exist (expected 'placeholder', 'build', or a prebuilt bootstrap)`);
  }
  const file = statSync(p).isDirectory() ? path.join(p, 'bootstrap') : p;
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new Error(`${LAMBDA_ASSET_ENV}: no bootstrap file at ${file}`);
  }
  return file;
}

/**
 * The prebuilt bootstrap of `binary`: the given one for read-file, the one in the sibling folder
 * named after the binary for the crate's other binaries (`.../read-file/bootstrap` ->
 * `.../revocations/bootstrap`).
 */
export function prebuiltPathFor(p: string, binary: string): string {
  if (binary === 'read-file') return p;
  const dir = existsSync(p) && statSync(p).isDirectory() ? p : path.dirname(p);
  return path.join(path.dirname(dir), binary);
}

/**
 * A local bundler that writes the placeholder, or copies a prebuilt bootstrap, instead of
 * running cargo lambda, for the crate's binary `binary`. Returns undefined for `build` (keep
 * cargo-lambda-cdk's own bundling).
 */
export function localBundlerFor(asset: LambdaAsset, binary = 'read-file'): ILocalBundling | undefined {
  switch (asset.kind) {
    case 'build':
      return undefined;
    case 'placeholder':
      return {
        tryBundle(outputDir: string): boolean {
          const file = path.join(outputDir, 'bootstrap');
          writeFileSync(file, PLACEHOLDER_BOOTSTRAP);
          chmodSync(file, 0o755);
          return true;
        },
      };
    case 'prebuilt': {
      const source = prebuiltBootstrap(prebuiltPathFor(asset.path, binary));
      return {
        tryBundle(outputDir: string): boolean {
          const file = path.join(outputDir, 'bootstrap');
          copyFileSync(source, file);
          chmodSync(file, 0o755);
          return true;
        },
      };
    }
  }
}
