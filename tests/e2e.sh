#!/usr/bin/env bash
# End to end: the function under `cargo lambda watch` with the local stack's env file, called over
# real HTTP, as `make dev` users do. Needs a running local stack (`make local-up`).
source "$(dirname "$0")/lib.sh"
port=${E2E_PORT:-9011}
base="http://127.0.0.1:$port/lambda-url/read-file"
log=.local/e2e-watch.log

[ -f .local/stack.env ] || { echo "e2e: the local stack is not running (make local-up)" >&2; exit 1; }
command -v cargo-lambda >/dev/null || { echo "e2e: cargo-lambda missing (make venv)" >&2; exit 1; }

# The first request waits for the build: the helper returns once the function answers.
watch_pid=$(python3 infra/local/stack_client.py watch --port "$port" --log "$log")
trap 'python3 infra/local/stack_client.py stop-watch "$watch_pid"' EXIT

passed=0 failed=0
expect() { # name, expected status, expected body fragment, curl args...
  local name=$1 want_status=$2 want_body=$3; shift 3
  local out status body
  out=$(curl -s --max-time 30 -w '\n%{http_code}' "$@")
  status=${out##*$'\n'}
  body=${out%$'\n'*}
  if [ "$status" = "$want_status" ] && [[ "$body" == *"$want_body"* ]]; then
    passed=$((passed + 1)); echo "ok   $name"
  else
    # A presigned URL in a wrong answer carries a session token: cut it off.
    failed=$((failed + 1)); echo "FAIL $name: got $status ${body//X-Amz-Security-Token=*/<cut>}"
  fi
}

admin=$(python3 infra/local/stack.py token admin)
user=$(python3 infra/local/stack.py token user)
expect "admin reads admin" 200 '"data":"admin"' -H "idToken: $admin" "$base/read-file"
expect "user reads user (lowercase header)" 200 '"data":"user"' -H "idtoken: $user" "$base/read-file"
expect "a stage-like segment is not a stage" 404 '"code":"not_found"' -H "IDTOKEN: $admin" "$base/v1/read-file"
expect "files/read-file is a file, not the read-file route" 404 '"code":"file_not_found"' -H "idToken: $admin" "$base/files/read-file"
expect "put a file" 201 '"name":"e2e/hello world.txt"' -X PUT -H "idToken: $user" -H 'content-type: text/plain' --data-binary 'hello e2e' "$base/files/e2e/hello%20world.txt"
expect "list it" 200 '"name":"e2e/hello world.txt"' -H "idToken: $user" "$base/files?prefix=e2e"
# Lambda (and cargo lambda watch) set _X_AMZN_TRACE_ID, and the SDK puts x-amzn-trace-id on every
# request it builds, presigned ones too: the upload URL must list only the headers it signed,
# or a browser sends the trace header and the bucket's CORS rule refuses the preflight.
expect "an upload URL lists exactly its signed headers" 200 \
  '"headers":{"content-length":"10","content-type":"application/octet-stream"}' -X POST -H "idToken: $user" \
  -d '{"name":"e2e/big.bin","size":10,"contentType":"application/octet-stream"}' "$base/upload-urls"
expect "delete it" 204 '' -X DELETE -H "idToken: $user" "$base/files/e2e/hello%20world.txt"
expect "hostile name (backslash)" 400 '"code":"invalid_file_name"' -H "idToken: $user" "$base/files/a%5Cb"
# The server in front (here cargo lambda watch) resolves dot segments before the function routes
# the request: /files/%2e%2e/x becomes /x, which is no route at all.
expect "dot segments never reach a file" 404 '"code":"not_found"' -H "idToken: $user" "$base/files/%2e%2e/x"
expect "missing token" 401 '"code":"missing_token"' "$base/read-file"
sig=${admin##*.}
forged="${admin%.*}.$(printf '%s' "$sig" | rev)"
expect "forged signature" 401 '"code":"invalid_token"' -H "idToken: $forged" "$base/read-file"
expect "unknown path" 404 '"code":"not_found"' -H "idToken: $admin" "$base/nope"
expect "wrong method" 405 '"code":"method_not_allowed"' -X POST -H "idToken: $admin" "$base/read-file"

# A revocation pushed through `cargo lambda watch`: the stack delivers the user pool's revoking call
# to the `revocations` binary (the same watch serves it by name, with its own principal's keys),
# which writes the verdict into the shared table; the read-file function then refuses the user
# from that verdict, without asking the user pool.
control() { python3 infra/local/stack_client.py control "$@"; }
control POST /moto-ext/user-events/config "{\"function_url\": \"http://127.0.0.1:$port\", \"delay_ms\": 200, \"lost\": false}" >/dev/null
delivered=$(control GET /moto-ext/user-events | python3 -c 'import json,sys; print(json.load(sys.stdin)["delivered"])')
# A user of its own (the fixture principal creates and disables it), never seen by the function.
read -r victim victim_token < <(.local/venv/bin/python - <<'PY'
import secrets, sys
sys.path.insert(0, "infra/local")
import provision, stack_client
s = stack_client.settings()
idp = provision.client("cognito-idp", s["AWS_ENDPOINT_URL"], aws_access_key_id=s["FIXTURE_AWS_ACCESS_KEY_ID"],
                       aws_secret_access_key=s["FIXTURE_AWS_SECRET_ACCESS_KEY"])
name, password = f"e2e-revoked-{secrets.token_hex(4)}", "E2e-Revoked-Passw0rd!"
idp.admin_create_user(UserPoolId=s["USER_POOL_ID"], Username=name, MessageAction="SUPPRESS")
idp.admin_set_user_password(UserPoolId=s["USER_POOL_ID"], Username=name, Password=password, Permanent=True)
token = provision.id_token(idp, s["USER_POOL_ID"], s["USER_POOL_CLIENT_ID"].split(",")[0], name, password)
idp.admin_disable_user(UserPoolId=s["USER_POOL_ID"], Username=name)
print(name, token)
PY
)
# The first event builds the revocations binary (a debug build): allow for it.
applied=""
for _ in $(seq 1 600); do
  applied=$(control GET /moto-ext/user-events | python3 -c "
import json, sys
report = json.load(sys.stdin)
if report['delivered'] > $delivered:
    print(report['recent'][-1].get('answer', {}).get('applied', ''))")
  [ -n "$applied" ] && break
  sleep 1
done
if [ "$applied" = disabled ]; then
  passed=$((passed + 1)); echo "ok   the revocations function applied the AdminDisableUser event"
else
  failed=$((failed + 1)); echo "FAIL the revocations function did not apply the event: $(control GET /moto-ext/user-events)"
fi
control POST /moto-ext/calls/reset >/dev/null
expect "a revoked user is refused from the pushed verdict" 403 '"code":"user_disabled"' -H "idToken: $victim_token" "$base/read-file"
asked=$(control GET /moto-ext/calls | python3 -c 'import json,sys; print(json.load(sys.stdin).get("cognito-idp:AdminGetUser", 0))')
if [ "$asked" = 0 ]; then
  passed=$((passed + 1)); echo "ok   no AdminGetUser for $victim: the table said it"
else
  failed=$((failed + 1)); echo "FAIL the function asked AdminGetUser $asked times for $victim"
fi
control POST /moto-ext/user-events/config '{"delay_ms": 2000}' >/dev/null

# A bad configuration stops the function at init, naming the variable (and never its value).
bin=${CARGO_TARGET_DIR:-target}/debug/read-file  # where cargo lambda watch (cargo run) built it
if [ -x "$bin" ]; then
  init_out=$(env -i PATH="$PATH" AWS_REGION=eu-west-1 ACCOUNT_ID=123456789012 \
    USER_POOL_ID=eu-west-1_Abc USER_POOL_CLIENT_ID=abc IDENTITY_POOL_ID=not-a-pool-id-SECRETISH \
    S3_BUCKET=b1 AWS_LAMBDA_LOG_FORMAT=JSON timeout 10 "$bin" 2>&1) && init_rc=0 || init_rc=$?
  if [ "$init_rc" != 0 ] && [[ "$init_out" == *IDENTITY_POOL_ID* ]] && [[ "$init_out" != *SECRETISH* ]] \
    && [[ "$init_out" == *'"level":"ERROR"'* ]]; then
    passed=$((passed + 1)); echo "ok   bad configuration stops init, naming the variable"
  else
    failed=$((failed + 1)); echo "FAIL bad configuration at init: exit $init_rc: $init_out"
  fi
else
  failed=$((failed + 1)); echo "FAIL $bin was not built by cargo lambda watch"
fi

# The function's metric records (EMF) are in its log, as `make dev` shows them: one request record
# per request, and one record per upstream API it called.
if emf=$(python3 - "$log" <<'PY'
import json, sys
records = []
for line in open(sys.argv[1], errors="replace"):
    start = line.find('{"')
    try:
        record = json.loads(line[start:]) if start >= 0 else None
    except ValueError:
        continue
    if isinstance(record, dict) and "_aws" in record:
        records.append(record)
namespaces = {d["Namespace"] for r in records for d in r["_aws"]["CloudWatchMetrics"]}
requests = [r for r in records if "Requests" in r]
refused = [r for r in requests if r.get("Code") == "missing_token" and r["Route"] == "read-file"]
reads = [r for r in records if r.get("Api") == "s3:GetObject" and r["Calls"] >= 1]
ok = namespaces == {"ReadFile"} and refused and reads and sum(r["ColdStart"] for r in requests) >= 1
print(f"{len(requests)} request records, {len(records) - len(requests)} API records")
sys.exit(0 if ok else 1)
PY
); then
  passed=$((passed + 1)); echo "ok   metric records in the function log: $emf"
else
  failed=$((failed + 1)); echo "FAIL no metric records in the function log: $emf"
fi

if grep -qF -- "${admin##*.}" "$log"; then
  failed=$((failed + 1)); echo "FAIL the function log contains a token signature"
else
  passed=$((passed + 1)); echo "ok   no token in the function log"
fi

echo "e2e: $passed passed, $failed failed"
[ "$failed" = 0 ]
