#!/usr/bin/env bash
# Every test of the project on a fresh machine; `make test` (hence CI) runs exactly this.
# The local AWS stack is started for the run and stopped however the run ends: the server also
# watches this script's pid, so even a SIGKILL leaves no orphan. A stack that was already running
# (`make local-up`) is used as it is and left running.
source "$(dirname "$0")/lib.sh"

# Each suite's output is also kept, to add up the counts at the end.
mkdir -p .local
log=.local/test-run.log
: >"$log"
run() { "$@" 2>&1 | tee -a "$log"; }

step "local AWS stack"
source tests/stack-for-run.sh

step "Rust: unit, contract, event-shape and integration tests"
run cargo test --locked

step "local stack: extension and API gateway unit tests + canary (boto3, independent of our Rust code)"
run .local/venv/bin/python -m pytest -q infra/local/moto_ext/tests infra/local/gateway/tests infra/local/canary

step "end to end: cargo lambda watch + curl"
run bash tests/e2e.sh

step "through the local API gateway: SigV4 (curl --aws-sigv4, awscurl, botocore) + AWS_IAM + cargo lambda watch"
run .local/venv/bin/python -m pytest -q tests/gateway

step "web page in headless Chromium: sign-in, identity-pool keys, signed calls, files (examples/web)"
run bash tests/web.sh

step "infra: CDK synth offline, template assertions, cdk-nag, cfn-lint"
run make -C infra test

# cargo: "test result: ok. N passed; M failed"; pytest: "N passed"; e2e: "e2e: N passed, M failed";
# node --test: "# pass N" / "# fail N".
sum() { awk '{ s += $1 } END { print s + 0 }'; }
passed=$(sed -nE -e 's/^test result: [a-z]+\. ([0-9]+) passed.*/\1/p' -e 's/^([0-9]+) passed.*/\1/p' \
  -e 's/^e2e: ([0-9]+) passed.*/\1/p' -e 's/^# pass ([0-9]+)$/\1/p' "$log" | sum)
failed=$(sed -nE -e 's/^test result: .* ([0-9]+) failed;.*/\1/p' -e 's/^e2e: .* ([0-9]+) failed$/\1/p' \
  -e 's/^# fail ([0-9]+)$/\1/p' "$log" | sum)
echo
echo "make test: $passed passed, $failed failed"
