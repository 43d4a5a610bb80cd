#!/usr/bin/env bash
# The Next.js + Auth.js example (examples/nextjs) in headless Chromium: signing in through the
# local stack's managed login, the server calling the API through the local API gateway and the
# function under `cargo lambda watch`. Needs a running local stack (`make test` starts one; alone:
# `make local-up` first). Fails loudly when something is missing; never skips.
#   CHROME_PATH          the browser (as tests/web.sh finds it)
#   NEXTJS_TEST_PORT     where the app is served for the test (default 3001); the test registers
#                        its origin on the stack's app client and bucket CORS when it is another
#   NEXTJS_E2E_PORT      this suite's `cargo lambda watch` port (default 9017)
#   NEXTJS_SCREENSHOT    if set, a screenshot of the signed-in page is saved there
source "$(dirname "$0")/lib.sh"
export NEXT_TELEMETRY_DISABLED=1
app_port=${NEXTJS_TEST_PORT:-3001}
fn_port=${NEXTJS_E2E_PORT:-9017}
fail() { echo "nextjs: $*" >&2; exit 1; }
source tests/browser-stack.sh
elapsed() { echo "nextjs: $1 took $(( $(date +%s) - $2 )) s"; }

browser_stack_require

# The app: exact dependencies from package-lock.json, type-checked and built (next build).
t=$(date +%s)
(cd examples/nextjs && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
elapsed "npm ci" "$t"; t=$(date +%s)
(cd examples/nextjs && npx tsc --noEmit && npx next build >../../.local/nextjs-build.log 2>&1) \
  || { tail -n 30 .local/nextjs-build.log >&2; fail "next build failed (log: .local/nextjs-build.log)"; }
elapsed "tsc + next build" "$t"

trap browser_stack_cleanup EXIT
browser_stack_ports_free "$app_port" "$fn_port"
# The test's settings in a file of its own (a developer's examples/nextjs/.env.local is left as it
# is): the process environment wins over .env files in Next.js.
node examples/nextjs/scripts/env.mjs --local .local/stack.env --origin "http://localhost:$app_port" --out .local/nextjs-test.env >/dev/null
set -a; source .local/nextjs-test.env; set +a
# The ID token is due for renewal 10 s after each sign-in (it lasts 3600 s): the refresh path runs
# in the test instead of an hour later.
export TOKEN_REFRESH_MARGIN_SECONDS=3590
browser_stack_spawn .local/nextjs-serve.log examples/nextjs/node_modules/.bin/next start examples/nextjs --port "$app_port" --hostname localhost
browser_stack_function "$fn_port" .local/nextjs-watch.log
for _ in $(seq 1 120); do
  curl -sf -o /dev/null "http://localhost:$app_port/" && break
  sleep 0.5
done
curl -sf -o /dev/null "http://localhost:$app_port/" || { tail -n 20 .local/nextjs-serve.log >&2; fail "the app is not served on port $app_port"; }

t=$(date +%s)
cd examples/nextjs
NEXTJS_URL="http://localhost:$app_port" STACK_ENV=../../.local/stack.env FIXTURES_ENV=../../.local/fixtures.env \
  node --test --test-reporter=tap test/browser.test.mjs
elapsed "the browser test" "$t"
