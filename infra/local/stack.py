#!/usr/bin/env python3
"""The local AWS stack's launcher (see infra/local/README.md).

  stack.py up [--port N] [--gateway-port N] [--login-port N] [--function-url URL] [--owner-pid PID]
                                             start moto + extension + API gateway + managed login,
                                             provision, return when ready
  stack.py down                              stop it (no error when it is not running)
  stack.py status                            exit 0 when it is up, provisioned and healthy
  stack.py token USER                        print a fresh ID token for USER (admin, user)
  stack.py creds USER                        print shell `export` lines: USER's ID token, identity keys, API_URL

`down` and `status` use the standard library only, so any python3 runs them; `up` and `token`
need the venv (.local/venv, `make venv`) and re-run themselves with its python when needed.
Port: --port, else $LOCAL_STACK_PORT, else 5055. The API gateway's port: --gateway-port, else
$LOCAL_GATEWAY_PORT, else the stack's port + 1. The managed-login domain's port: --login-port, else
$LOCAL_LOGIN_PORT, else the stack's port + 2. The function the gateway invokes: --function-url, else
$LOCAL_FUNCTION_URL, else http://127.0.0.1:9000 (`cargo lambda watch`, as `make dev` runs it).
"""

import argparse
import contextlib
import fcntl
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import stack_client
from stack_client import FIXTURES_ENV, ROOT, STACK_ENV, STATE, read_env

VENV_PYTHON = STATE / "venv" / "bin" / "python"
PID_FILE = STATE / "stack.pid"
LOG_FILE = STATE / "stack.log"
LOCK_FILE = STATE / "stack.lock"
REVOCATIONS_ENV = STATE / "revocations.env"
SERVER = Path(__file__).resolve().parent / "server.py"
READY_TIMEOUT = 20  # seconds; it takes ~1 s
STOP_TIMEOUT = 5


def fail(message, code=1):
    print(f"local stack: {message}", file=sys.stderr)
    sys.exit(code)


def default_port():
    return int(os.environ.get("LOCAL_STACK_PORT") or 5055)


def default_gateway_port(port):
    return int(os.environ.get("LOCAL_GATEWAY_PORT") or port + 1)


def default_login_port(port):
    return int(os.environ.get("LOCAL_LOGIN_PORT") or port + 2)


def default_function_url():
    return os.environ.get("LOCAL_FUNCTION_URL") or "http://127.0.0.1:9000"


# ---------------------------------------------------------------- process and health


def read_pid():
    try:
        return int(PID_FILE.read_text().strip())
    except (OSError, ValueError):
        return None


def is_our_server(pid):
    """The pid is alive and runs server.py (not some process that reused the pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return str(SERVER).encode() in cmdline


def _control_get(port, path, secret=None):
    """The stack's JSON answer at `path`, or None when it does not answer."""
    try:
        status, answer = stack_client.control("GET", path, port=port, secret=secret, timeout=2)
    except (OSError, ValueError, stack_client.NotRunning):
        return None
    return answer if status == 200 else None


def health(port, secret=None):
    return _control_get(port, "/moto-ext/health", secret)


def gateway_report(port):
    return _control_get(port, "/moto-ext/gateway")


def port_is_free(port):
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # ignore TIME_WAIT leftovers
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def running_port():
    return int(read_env(FIXTURES_ENV).get("LOCAL_STACK_PORT") or 0) or None


def is_healthy():
    """(pid, port) of a running, provisioned stack, else None."""
    pid, port = read_pid(), running_port()
    if not pid or not port or not is_our_server(pid) or not STACK_ENV.exists():
        return None
    report = health(port)
    if not report or report.get("pid") != pid or not report.get("auth_enforced"):
        return None
    return pid, port


def stop(pid):
    """SIGTERM to the server's process group, SIGKILL after STOP_TIMEOUT."""
    try:
        group = pid if os.getpgid(pid) == pid else None  # started in its own session: pgid == pid
    except ProcessLookupError:
        return
    for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, 2)):
        try:
            os.killpg(group, sig) if group else os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if _exited(pid) or not is_our_server(pid):
                return
            time.sleep(0.05)


def _exited(pid):
    """Gone, or a zombie waiting for its parent to reap it (an init may do so late)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@contextlib.contextmanager
def exclusive():
    """Serializes up/down: two test binaries starting the stack at once must not kill each
    other's half-provisioned server; the second one waits, then finds the stack up."""
    STATE.mkdir(exist_ok=True)
    with open(LOCK_FILE, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


# ---------------------------------------------------------------- subcommands


def cmd_down(_args):
    pid = read_pid()
    if pid and is_our_server(pid):
        stop(pid)
        print(f"local stack: stopped (pid {pid})")
    else:
        print("local stack: not running")
    PID_FILE.unlink(missing_ok=True)


def cmd_status(_args):
    running = is_healthy()
    if not running:
        fail("down (or not provisioned)")
    print(f"local stack: up on http://127.0.0.1:{running[1]} (pid {running[0]})")


def cmd_up(args):
    started = time.monotonic()
    port = args.port or default_port()
    running = is_healthy()
    if running:
        if running[1] != port:
            fail(f"already running on port {running[1]}, not {port}: run `make local-down` first")
        print(f"local stack: already up on http://127.0.0.1:{port} (pid {running[0]}); nothing to do")
        wanted = args.function_url or default_function_url()
        current = (gateway_report(port) or {}).get("function_url")
        if current and current != wanted.rstrip("/"):
            print(f"  note: its API gateway invokes the function at {current}, not {wanted}; "
                  f"`make local-down` first to change it", file=sys.stderr)
        return
    pid = read_pid()
    if pid and is_our_server(pid):  # alive but unhealthy or half provisioned: start afresh
        stop(pid)
    PID_FILE.unlink(missing_ok=True)
    if not port_is_free(port):
        fail(f"port {port} on 127.0.0.1 is in use by another program; free it, or choose another "
             f"port with LOCAL_STACK_PORT=N (make) or --port N", code=2)
    gateway_port = args.gateway_port or default_gateway_port(port)
    if gateway_port == port or not port_is_free(gateway_port):
        fail(f"port {gateway_port} on 127.0.0.1 (the API gateway) is in use; choose another with "
             f"LOCAL_GATEWAY_PORT=N (make) or --gateway-port N", code=2)
    login_port = args.login_port or default_login_port(port)
    if login_port in (port, gateway_port) or not port_is_free(login_port):
        fail(f"port {login_port} on 127.0.0.1 (the managed-login domain) is in use; choose another with "
             f"LOCAL_LOGIN_PORT=N (make) or --login-port N", code=2)
    function_url = args.function_url or default_function_url()

    STATE.mkdir(exist_ok=True)
    for stale in (STACK_ENV, FIXTURES_ENV, REVOCATIONS_ENV):
        stale.unlink(missing_ok=True)
    command = [str(VENV_PYTHON), str(SERVER), "--port", str(port), "--pid-file", str(PID_FILE),
               "--gateway-port", str(gateway_port), "--function-url", function_url,
               "--login-port", str(login_port)]
    if args.owner_pid:
        command += ["--owner-pid", str(args.owner_pid)]
    # The control endpoints' secret: to the server through its environment (never its command
    # line, which any local user can read), to the tools through fixtures.env (mode 0600).
    secret = secrets.token_urlsafe(32)
    with open(LOG_FILE, "wb") as log:  # one log per start
        server = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # own session and process group: `down` signals the group
            cwd=ROOT, env={**os.environ, stack_client.SECRET_VAR: secret},
        )
    PID_FILE.write_text(f"{server.pid}\n")

    try:
        wait_until_ready(server, port, secret)
        import provision  # boto3: the venv's python runs this (see main)

        endpoint = f"http://127.0.0.1:{port}"
        stack_env, fixtures_env = provision.provision(endpoint, STATE, gateway_port, login_port, secret)
    except BaseException as error:
        stop(server.pid)
        PID_FILE.unlink(missing_ok=True)
        if isinstance(error, SystemExit):
            raise
        fail(f"provisioning failed: {error!r} (server log: {LOG_FILE})")

    write_env(FIXTURES_ENV, {"LOCAL_STACK_PORT": str(port), "LOCAL_GATEWAY_PORT": str(gateway_port),
                             "LOCAL_LOGIN_PORT": str(login_port), stack_client.SECRET_VAR: secret, **fixtures_env},
              "Test-only settings of the local stack. SIGNING_KEY_FILE is a PKCS#8 PEM.")
    write_env(STACK_ENV, stack_env, "Settings for the Lambda (cargo lambda watch --env-file) and tests.")
    # What `cargo lambda watch` gives the `revocations` function on top of stack.env (Cargo.toml,
    # [package.metadata.lambda.bin.revocations.watch]): its own principal's keys.
    write_env(REVOCATIONS_ENV, {"AWS_ACCESS_KEY_ID": fixtures_env["REVOCATIONS_AWS_ACCESS_KEY_ID"],
                                "AWS_SECRET_ACCESS_KEY": fixtures_env["REVOCATIONS_AWS_SECRET_ACCESS_KEY"]},
              "The revocations function's principal, over stack.env (cargo lambda watch).")
    print(f"local stack: up on {endpoint} (pid {server.pid}) in {time.monotonic() - started:.1f} s")
    print(f"  user pool {stack_env['USER_POOL_ID']}, identity pool {stack_env['IDENTITY_POOL_ID']}, "
          f"bucket {stack_env['S3_BUCKET']}, users: admin, user")
    print(f"  API gateway: {stack_env['API_URL']} -> function at {function_url} (cargo lambda watch)")
    print(f"  managed login: {stack_env['MANAGED_LOGIN_URL']} (discovery: {stack_env['OIDC_DISCOVERY_URL']})")
    print(f"  settings: {STACK_ENV.relative_to(ROOT)}, {FIXTURES_ENV.relative_to(ROOT)}; "
          f"log: {LOG_FILE.relative_to(ROOT)}")
    if args.owner_pid:
        print(f"  stops by itself when process {args.owner_pid} exits")


def wait_until_ready(server, port, secret):
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            tail = LOG_FILE.read_text(errors="replace").splitlines()[-5:]
            code = 2 if server.returncode == 3 else 1  # 3: the server could not bind the port
            fail(f"server exited with status {server.returncode}:\n  " + "\n  ".join(tail), code)
        report = health(port, secret)
        if report and report.get("pid") == server.pid:
            return
        time.sleep(0.05)
    fail(f"server not ready after {READY_TIMEOUT} s (log: {LOG_FILE})")


def write_env(path, values, comment):
    """KEY=VALUE lines (no quotes, no export), written atomically, readable by the owner only."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(f"# {comment}\n" + "".join(f"{k}={v}\n" for k, v in values.items()))
    temporary.chmod(0o600)
    temporary.replace(path)


def cmd_token(args):
    if not is_healthy():
        fail("down: run `make local-up` first")
    import provision

    try:
        print(provision.fresh_token(read_env(STACK_ENV), read_env(FIXTURES_ENV), args.user))
    except KeyError:
        fail(f"no such provisioned user {args.user!r} (users: admin, user)")
    except Exception as error:
        fail(f"cannot mint a token for {args.user!r}: {error}")


def cmd_creds(args):
    """`export` lines for a user, as a signed-in frontend holds them: the ID token, the identity's
    own keys (GetId + GetCredentialsForIdentity), its IdentityId and the stage URL."""
    if not is_healthy():
        fail("down: run `make local-up` (or `make dev`) first")
    import shlex

    import provision

    stack_env, fixtures_env = read_env(STACK_ENV), read_env(FIXTURES_ENV)
    try:
        values = provision.user_credentials(stack_env, fixtures_env, args.user)
    except KeyError:
        fail(f"no such provisioned user {args.user!r} (users: admin, user)")
    except Exception as error:
        fail(f"cannot get credentials for {args.user!r}: {type(error).__name__}")
    values["API_URL"] = stack_env["API_URL"]
    for name, value in values.items():
        print(f"export {name}={shlex.quote(value)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start and provision")
    up.add_argument("--port", type=int)
    up.add_argument("--owner-pid", type=int, help="stop the server when this process exits")
    up.add_argument("--gateway-port", type=int)
    up.add_argument("--login-port", type=int)
    up.add_argument("--function-url")
    commands.add_parser("down", help="stop")
    commands.add_parser("status", help="exit 0 when healthy")
    token = commands.add_parser("token", help="print a fresh ID token")
    token.add_argument("user")
    creds = commands.add_parser("creds", help="print export lines for a user (token, identity keys, API_URL)")
    creds.add_argument("user")
    args = parser.parse_args()

    # Compare prefixes, not executables: the venv's python is a symlink to the system's.
    if args.command in ("up", "token", "creds") and Path(sys.prefix).resolve() != VENV_PYTHON.parents[1].resolve():
        if not VENV_PYTHON.exists():
            fail("no venv: run `make venv` first")
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), *sys.argv])
    if args.command in ("up", "down"):
        with exclusive():
            {"up": cmd_up, "down": cmd_down}[args.command](args)
    else:
        {"status": cmd_status, "token": cmd_token, "creds": cmd_creds}[args.command](args)


if __name__ == "__main__":
    main()
