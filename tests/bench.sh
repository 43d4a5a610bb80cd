#!/usr/bin/env bash
# `make bench`: builds the release binaries, then measures our request paths against the S3 limit
# and the naive flow on the local stack (benches/read_file). Prints a table and writes
# target/bench/summary.json. The stack is started for the run and stopped however the run ends
# (the server also watches this script's pid); a stack already running (`make local-up`) is used
# as it is and left running.
#
# BENCH_ARM64=0 skips the arm64 Lambda build (then the x86_64 size is reported, labelled so).
source "$(dirname "$0")/lib.sh"

step "release build: the read-file binary and the benchmark (same profile, one build)"
cargo bench --locked --bench read_file --no-run

# The size that matters is the Lambda artifact: arm64, built as cargo lambda builds it.
# Built before the timing starts, so that it never competes with the measurements.
if [[ "${BENCH_ARM64:-1}" != 0 ]]; then
  step "arm64 Lambda build (for its size): cargo lambda build --release --arm64"
  if cargo lambda build --release --arm64 --locked --bin read-file; then
    export BENCH_SIZE_BINARY="$PWD/target/lambda/read-file/bootstrap"
    export BENCH_SIZE_TARGET="aarch64-unknown-linux-gnu (cargo lambda build --release --arm64)"
  else
    echo "the arm64 build failed (see above); the x86_64 size is reported instead" >&2
  fi
fi

step "local AWS stack"
source tests/stack-for-run.sh

step "benchmark"
cargo bench --locked --bench read_file
