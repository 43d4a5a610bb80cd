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
source tests/browser-stack.sh

browser_stack_require

# The page: exact dependencies from package-lock.json, type-checked, bundled, configured.
(cd examples/web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error \
  && npx tsc --noEmit && node scripts/build.mjs && node scripts/config.mjs --local ../../.local/stack.env)

trap browser_stack_cleanup EXIT
browser_stack_ports_free "$web_port" "$fn_port"
WEB_PORT=$web_port WEB_QUIET=1 browser_stack_spawn .local/web-serve.log node examples/web/scripts/serve.mjs
browser_stack_function "$fn_port" .local/web-watch.log
curl -sf -o /dev/null "http://localhost:$web_port/" || fail "the page is not served on port $web_port"

cd examples/web
WEB_URL="http://localhost:$web_port" STACK_ENV=../../.local/stack.env FIXTURES_ENV=../../.local/fixtures.env \
  WEB_CONFIG=dist/config.json node --test --test-reporter=tap ${WEB_TEST_ONLY:+--test-name-pattern="$WEB_TEST_ONLY"} test/browser.test.mjs
