# Sourced by the browser suites (tests/web.sh, tests/nextjs.sh), after tests/lib.sh: a Chromium,
# the function under `cargo lambda watch` (stack_client.py watch), and the local stack's API
# gateway pointed at it (and back afterwards), through the stack's one client and its secret.
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

browser_stack_client="$PWD/infra/local/stack_client.py"  # absolute: the cleanup may run after a cd
browser_stack_pids=()
browser_stack_watch=""
browser_stack_previous=""

# A control call of the running stack (with its secret); the answer is dropped.
browser_stack_control() { python3 "$browser_stack_client" control "$@" >/dev/null; }

# The running stack, cargo-lambda and a browser, or a loud failure. Exports CHROME_PATH.
browser_stack_require() {
  [ -f .local/stack.env ] && python3 infra/local/stack.py status >/dev/null \
    || fail "the local stack is not running (make local-up)"
  command -v cargo-lambda >/dev/null || fail "cargo-lambda missing (make venv)"
  CHROME_PATH=$(find_chrome)
  export CHROME_PATH
  "$CHROME_PATH" --version >/dev/null 2>&1 || fail "$CHROME_PATH does not run"
  browser_stack_previous=$(python3 "$browser_stack_client" control GET /moto-ext/gateway) \
    || fail "the stack's gateway settings could not be read"
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
  local port=$1 log=$2
  browser_stack_watch=$(python3 "$browser_stack_client" watch --port "$port" --log "$log") \
    || fail "cargo lambda watch did not serve the function"
  browser_stack_control POST /moto-ext/gateway/config "{\"function_url\": \"http://127.0.0.1:$port\", \"timeout\": 29}"
  browser_stack_control POST /moto-ext/gateway/reset
}

# Point the stack's gateway back where it was, then stop what was started.
browser_stack_cleanup() {
  [ -z "$browser_stack_previous" ] || browser_stack_control POST /moto-ext/gateway/config "$browser_stack_previous" || true
  [ -z "$browser_stack_watch" ] || python3 "$browser_stack_client" stop-watch "$browser_stack_watch" || true
  local pid
  for pid in "${browser_stack_pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${browser_stack_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
