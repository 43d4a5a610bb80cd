#!/usr/bin/env bash
# `make smoke` against the local stack, as `make test` runs it: the function under its own
# `cargo lambda watch` (port SMOKE_PORT, default GATEWAY_E2E_PORT + 2) with USER_CHECK_TTL_SECONDS=2,
# so the disabled-user check takes seconds, not the default minute; the stack's API gateway is
# pointed at it for the run and back afterwards. Needs a running local stack (`make local-up`).
# Twice: as `make smoke` runs on the local stack (its env files), then as it runs on a deployment
# (an outputs.json of the same stack, the administrator's keys from the default AWS credential
# chain, AWS_ENDPOINT_URL pointing the SDK at the stack), so the deployment's code path runs too.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.local/venv/bin:$PATH"
port=${SMOKE_PORT:-$(( ${GATEWAY_E2E_PORT:-9013} + 2 ))}
ttl=${SMOKE_USER_CHECK_TTL:-2}
log=.local/smoke-watch.log
env_file=.local/smoke.env

[ -f .local/stack.env ] && [ -f .local/fixtures.env ] || { echo "smoke: the local stack is not running (make local-up)" >&2; exit 1; }
command -v cargo-lambda >/dev/null || { echo "smoke: cargo-lambda missing (make venv)" >&2; exit 1; }
stack_port=$(sed -n 's/^LOCAL_STACK_PORT=//p' .local/fixtures.env)
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "smoke: port $port is in use: set SMOKE_PORT to a free port" >&2; exit 1
fi

# The function's settings: the stack's, and the short user-check TTL the smoke check reads back.
{ grep -v '^USER_CHECK_TTL_SECONDS=' .local/stack.env; echo "USER_CHECK_TTL_SECONDS=$ttl"; } >"$env_file"
chmod 600 "$env_file"

client=infra/local/stack_client.py
previous_url=$(python3 "$client" control GET /moto-ext/gateway | python3 -c 'import json,sys; print(json.load(sys.stdin)["function_url"])')
previous_events_url=$(python3 "$client" control GET /moto-ext/user-events | python3 -c 'import json,sys; print(json.load(sys.stdin)["function_url"])')
watch_pid=$(python3 "$client" watch --port "$port" --log "$log" --env-file "$env_file")
restore() {
  python3 "$client" control POST /moto-ext/gateway/config "{\"function_url\": \"$previous_url\"}" >/dev/null || true
  python3 "$client" control POST /moto-ext/user-events/config "{\"function_url\": \"$previous_events_url\"}" >/dev/null || true
  python3 "$client" stop-watch "$watch_pid" || true
}
trap restore EXIT
python3 "$client" control POST /moto-ext/gateway/config "{\"function_url\": \"http://127.0.0.1:$port\"}" >/dev/null
# The user pool's revoking calls (the disabled-user check) reach this watch's `revocations` function.
python3 "$client" control POST /moto-ext/user-events/config "{\"function_url\": \"http://127.0.0.1:$port\"}" >/dev/null

make --no-print-directory smoke TARGET=local SMOKE_ARGS="--local-env $env_file"

outputs=.local/smoke-outputs.json
.local/venv/bin/python - "$env_file" "$outputs" <<'PY'
import json, sys
sys.path.insert(0, "infra/deploy")
from settings import read_env_file
settings = {k: v for k, v in read_env_file(sys.argv[1]).items()
            if k not in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
settings.update(S3_PREFIX="cognito-test", STACK_NAME="local-stack-as-a-deployment")
open(sys.argv[2], "w").write(json.dumps(settings, indent=2))
PY
fixture() { sed -n "s/^$1=//p" .local/fixtures.env; }
env -u AWS_PROFILE -u AWS_SESSION_TOKEN AWS_ENDPOINT_URL="http://127.0.0.1:$stack_port" AWS_REGION=us-east-1 \
  AWS_ACCESS_KEY_ID="$(fixture FIXTURE_AWS_ACCESS_KEY_ID)" AWS_SECRET_ACCESS_KEY="$(fixture FIXTURE_AWS_SECRET_ACCESS_KEY)" \
  make --no-print-directory smoke TARGET=deploy SMOKE_ARGS="--outputs $outputs"
