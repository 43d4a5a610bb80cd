# Sourced by the browser suites (tests/web.sh, tests/nextjs.sh): a Chromium, the function under
# `cargo lambda watch`, and the local stack's API gateway pointed at it (and back afterwards).
# The caller defines `fail MESSAGE` and calls `browser_stack_cleanup` on exit.

# The browser: CHROME_PATH, else the first of chromium, chromium-browser, google-chrome,
# google-chrome-stable on PATH; on Debian/Ubuntu as root the `chromium` package is installed
# when none is found.
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
    echo "no Chromium found: installing Debian's chromium package (apt-get)" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >&2 \
      || fail "apt-get install chromium failed"
    command -v chromium && return
  fi
  fail "no Chromium or Chrome found. Install one (Debian/Ubuntu: apt-get install chromium; macOS: brew install --cask chromium) or set CHROME_PATH=/path/to/chrome"
}

browser_stack_pids=()
browser_stack_control=""
browser_stack_previous=""

# The running stack, cargo-lambda and a browser, or a loud failure. Exports CHROME_PATH.
browser_stack_require() {
  [ -f .local/stack.env ] && python3 infra/local/stack.py status >/dev/null \
    || fail "the local stack is not running (make local-up)"
  command -v cargo-lambda >/dev/null || fail "cargo-lambda missing (make venv)"
  CHROME_PATH=$(find_chrome)
  export CHROME_PATH
  "$CHROME_PATH" --version >/dev/null 2>&1 || fail "$CHROME_PATH does not run"
  browser_stack_control="http://127.0.0.1:$(sed -n 's/^LOCAL_STACK_PORT=//p' .local/fixtures.env)/moto-ext"
  browser_stack_previous=$(curl -sf "$browser_stack_control/gateway")
}

# Fail unless every port given is free.
browser_stack_ports_free() {
  local port
  for port in "$@"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      fail "port $port is in use: choose free ports (see the variables at the top of $0)"
    fi
  done
}

# Start a command in its own process group, stopped by browser_stack_cleanup.
browser_stack_spawn() {
  local log=$1; shift
  setsid "$@" >"$log" 2>&1 &
  browser_stack_pids+=($!)
}

# The function under `cargo lambda watch` on PORT (log in LOG); returns once it serves (the first
# request waits for the debug build), with the stack's API gateway pointed at it.
browser_stack_function() {
  local port=$1 log=$2 code ready=""
  browser_stack_spawn "$log" cargo lambda watch --quiet --invoke-address 127.0.0.1 --invoke-port "$port" \
    --env-file .local/stack.env
  local watch=${browser_stack_pids[-1]}
  for _ in $(seq 1 1800); do
    # an unsigned call answers 401 once the function is served
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 300 "http://127.0.0.1:$port/lambda-url/read-file/read-file" || true)
    if [ "$code" = 401 ]; then ready=1; break; fi
    kill -0 "$watch" 2>/dev/null || break
    sleep 0.5
  done
  [ -n "$ready" ] || { tail -n 30 "$log" >&2; fail "cargo lambda watch did not serve the function"; }
  curl -sf -X POST -H 'content-type: application/json' \
    -d "{\"function_url\": \"http://127.0.0.1:$port\", \"timeout\": 29}" "$browser_stack_control/gateway/config" >/dev/null
  curl -sf -X POST "$browser_stack_control/gateway/reset" >/dev/null
}

# Point the stack's gateway back where it was, then stop what was started.
browser_stack_cleanup() {
  if [ -n "$browser_stack_previous" ]; then
    curl -sf -X POST -H 'content-type: application/json' -d "$browser_stack_previous" \
      "$browser_stack_control/gateway/config" >/dev/null || true
  fi
  local pid
  for pid in "${browser_stack_pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${browser_stack_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
