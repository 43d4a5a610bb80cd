#!/usr/bin/env bash
# The web page (examples/web) in headless Chromium against the local stack, its API gateway and
# the function under `cargo lambda watch`. Needs a running local stack (`make test` starts one;
# alone: `make local-up` first). Fails loudly when something is missing; never skips.
#   CHROME_PATH        the browser (default: the first of chromium, chromium-browser,
#                      google-chrome, google-chrome-stable on PATH; on Debian/Ubuntu as root the
#                      `chromium` package is installed when none is found)
#   WEB_TEST_PORT      where the page is served for the test (default 3000, the allowed origin;
#                      another port works: the browser still sees http://localhost:3000)
#   WEB_E2E_PORT       this suite's `cargo lambda watch` port (default 9015)
#   WEB_SCREENSHOT     if set, a screenshot of the signed-in page is saved there
#   WEB_TEST_ONLY      if set, only the cases whose name matches this pattern run (while working on
#                      one; `make test` never sets it)
source "$(dirname "$0")/lib.sh"
web_port=${WEB_TEST_PORT:-3000}
fn_port=${WEB_E2E_PORT:-9015}
fail() { echo "web: $*" >&2; exit 1; }

find_chrome() {
  if [ -n "${CHROME_PATH:-}" ]; then
    [ -x "$CHROME_PATH" ] || fail "CHROME_PATH=$CHROME_PATH is not an executable"
    echo "$CHROME_PATH"; return
  fi
  local name
  for name in chromium chromium-browser google-chrome google-chrome-stable; do
    if command -v "$name" >/dev/null; then command -v "$name"; return; fi
  done
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && grep -qiE '^ID(_LIKE)?=.*(debian|ubuntu)' /etc/os-release; then
    echo "web: no Chromium found: installing Debian's chromium package (apt-get)" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >&2 \
      || fail "apt-get install chromium failed"
    command -v chromium && return
  fi
  fail "no Chromium or Chrome found. Install one (Debian/Ubuntu: apt-get install chromium; macOS: brew install --cask chromium) or set CHROME_PATH=/path/to/chrome"
}

[ -f .local/stack.env ] && python3 infra/local/stack.py status >/dev/null \
  || fail "the local stack is not running (make local-up)"
command -v cargo-lambda >/dev/null || fail "cargo-lambda missing (make venv)"
CHROME_PATH=$(find_chrome)
export CHROME_PATH
"$CHROME_PATH" --version >/dev/null 2>&1 || fail "$CHROME_PATH does not run"

# The page: exact dependencies from package-lock.json, type-checked, bundled, configured.
(cd examples/web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error \
  && npx tsc --noEmit && node scripts/build.mjs && node scripts/config.mjs --local ../../.local/stack.env)

client="$PWD/infra/local/stack_client.py"  # absolute: the cleanup runs after the cd below
control() { python3 "$client" control "$@" >/dev/null; }
previous=$(python3 "$client" control GET /moto-ext/gateway)
server="" watch=""
cleanup() {
  # Point the stack's gateway back where it was, then stop what this script started.
  control POST /moto-ext/gateway/config "$previous" || true
  [ -z "$watch" ] || python3 "$client" stop-watch "$watch" || true
  [ -z "$server" ] || { kill -TERM -- "-$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
}
trap cleanup EXIT

for port in "$web_port" "$fn_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    fail "port $port is in use: set WEB_TEST_PORT / WEB_E2E_PORT to free ports"
  fi
done
WEB_PORT=$web_port WEB_QUIET=1 setsid node examples/web/scripts/serve.mjs >.local/web-serve.log 2>&1 &
server=$!
# The first request waits for the (debug) build: the helper returns once the function answers.
watch=$(python3 "$client" watch --port "$fn_port" --log .local/web-watch.log) \
  || fail "cargo lambda watch did not serve the function"
control POST /moto-ext/gateway/config "{\"function_url\": \"http://127.0.0.1:$fn_port\", \"timeout\": 29}"
control POST /moto-ext/gateway/reset
curl -sf -o /dev/null "http://localhost:$web_port/" || fail "the page is not served on port $web_port"

cd examples/web
WEB_URL="http://localhost:$web_port" STACK_ENV=../../.local/stack.env FIXTURES_ENV=../../.local/fixtures.env \
  WEB_CONFIG=dist/config.json node --test --test-reporter=tap ${WEB_TEST_ONLY:+--test-name-pattern="$WEB_TEST_ONLY"} test/browser.test.mjs
