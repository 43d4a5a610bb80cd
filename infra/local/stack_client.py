#!/usr/bin/env python3
"""The one client of a running local stack, for the launcher, tests, benches and shell scripts
(standard library only: any python3 runs it):

- its settings: `read_env(path)` reads a `.local/*.env` file, `settings()` both of them;
- its control endpoints (`/moto-ext/...`): `control(method, path, body)`;
- the function its API gateway invokes: `start_watch(port, log)` starts `cargo lambda watch` and
  returns once the function answers;
- signed URLs it hands out, changed by tests: `with_param(url, name, value)`.

From a shell script:
  stack_client.py control METHOD PATH [JSON]       the JSON answer on stdout; exit 1 unless 2xx
  stack_client.py watch --port N --log FILE        start `cargo lambda watch` on 127.0.0.1:N in a
                                                   session of its own, wait until it serves the
                                                   function, print its pid (the session's) and
                                                   leave it running; exit 1 (watch stopped, the
                                                   log's tail on stderr) when it never does
  stack_client.py stop-watch PID                   stop that session (SIGTERM, SIGKILL after 10 s)
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
STATE = ROOT / ".local"
STACK_ENV = STATE / "stack.env"
FIXTURES_ENV = STATE / "fixtures.env"
FUNCTION = "read-file"  # cargo lambda watch names the function after the binary
# The per-stack secret every control request carries (`stack.py up` makes one at every start and
# writes it to fixtures.env only); the stack refuses a control request without it or with an Origin.
SECRET_HEADER = "X-Local-Stack-Secret"
SECRET_VAR = "LOCAL_STACK_SECRET"
WATCH_TIMEOUT = 900  # seconds: the first request waits for a cold debug build


class NotRunning(Exception):
    """The stack's settings are missing: it is not up (the message says how to start it)."""


def read_env(path):
    """KEY=VALUE lines (no quotes, no export; `#` comments) as a dict; {} when the file is missing."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return {}
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def settings():
    """stack.env and fixtures.env together; NotRunning when either is missing."""
    values = {}
    for path in (STACK_ENV, FIXTURES_ENV):
        if not path.exists():
            raise NotRunning(f"the local stack is not running ({path} is missing): run `make local-up` first")
        values.update(read_env(path))
    return values


def control(method, path, body=None, *, port=None, secret=None, timeout=10):
    """(status, JSON answer) of a control endpoint (`/moto-ext/...`, `/moto-api/...`) of the stack on
    `port` with its `secret` (both by default the running stack's, from fixtures.env). OSError when
    nothing answers."""
    fixtures = read_env(FIXTURES_ENV) if port is None or secret is None else {}
    port, secret = port or fixtures.get("LOCAL_STACK_PORT"), secret or fixtures.get(SECRET_VAR)
    if not port or not secret:
        raise NotRunning(f"the local stack is not running ({FIXTURES_ENV} has no port or secret): "
                         "run `make local-up` first")
    data = json.dumps(body).encode() if body is not None else (b"" if method in ("POST", "PUT") else None)
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json", SECRET_HEADER: secret})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def with_param(url, name, value):
    """`url` with the query parameter `name` set to `value` (percent-encoded here; added when absent,
    removed when `value` is None), every other parameter left exactly as it was."""
    base, _, query = url.partition("?")
    pairs = [p for p in query.split("&") if p.split("=", 1)[0] != name]
    if value is not None:
        pairs.append(f"{name}={quote(value, safe='')}")
    return f"{base}?{'&'.join(pairs)}"


# ---------------------------------------------------------------- the function under cargo lambda watch


def start_watch(port, log_path, timeout=WATCH_TIMEOUT):
    """`cargo lambda watch` on 127.0.0.1:`port` with the stack's settings (its own session, output to
    `log_path`), returned once it serves the function: an unsigned call answers 401. Raises
    RuntimeError (the process stopped) when it exits or never serves within `timeout` s."""
    env = {**os.environ, "PATH": f"{STATE / 'venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    with open(log_path, "wb") as log:
        watch = subprocess.Popen(
            ["cargo", "lambda", "watch", "--quiet", "--invoke-address", "127.0.0.1", "--invoke-port", str(port),
             "--env-file", str(STACK_ENV)],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_served(f"http://127.0.0.1:{port}/lambda-url/{FUNCTION}/{FUNCTION}", watch, log_path, timeout)
    except BaseException:
        stop_watch(watch)
        raise
    return watch


def _wait_until_served(url, watch, log_path, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if watch.poll() is not None:
            raise RuntimeError(f"cargo lambda watch exited ({watch.returncode}); its log: {log_path}")
        try:
            urllib.request.urlopen(url, timeout=300)
        except urllib.error.HTTPError as error:
            if error.code == 401:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"cargo lambda watch did not serve the function in {timeout} s; its log: {log_path}")


def stop_watch(watch, timeout=10):
    """SIGTERM to the watch's session (cargo and the function it runs), SIGKILL after `timeout` s.
    `watch`: the Popen of `start_watch`, or the pid `stack_client.py watch` printed."""
    pid = watch if isinstance(watch, int) else watch.pid
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        if _gone(watch, pid, timeout):
            return


def _gone(watch, pid, timeout):
    if not isinstance(watch, int):  # our child: reap it
        try:
            watch.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


# ---------------------------------------------------------------- command line


def _tail(path, lines=40):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    call = commands.add_parser("control", help="call a control endpoint of the running stack")
    call.add_argument("method")
    call.add_argument("path")
    call.add_argument("body", nargs="?", help="a JSON value")
    watch = commands.add_parser("watch", help="start cargo lambda watch and wait until it serves the function")
    watch.add_argument("--port", type=int, required=True)
    watch.add_argument("--log", required=True)
    stop = commands.add_parser("stop-watch", help="stop what `watch` started")
    stop.add_argument("pid", type=int)
    args = parser.parse_args()
    try:
        if args.command == "control":
            status, answer = control(args.method, args.path, json.loads(args.body) if args.body else None)
            print(json.dumps(answer))
            sys.exit(0 if 200 <= status < 300 else 1)
        if args.command == "stop-watch":
            return stop_watch(args.pid)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a stopped script stops the watch too
        print(start_watch(args.port, args.log).pid)
    except (NotRunning, OSError, RuntimeError, ValueError) as error:
        if args.command == "watch":
            print(_tail(args.log), file=sys.stderr)
        sys.exit(f"{Path(__file__).name} {args.command}: {error}")


if __name__ == "__main__":
    main()
