"""The local stack's server process: moto with our extension, on 127.0.0.1.

Started by `stack.py up` with the venv's python, in its own session; not meant to be run by hand:
  LOCAL_STACK_SECRET=... server.py --port N --gateway-port N --login-port N --function-url URL [--owner-pid PID] [--pid-file PATH]
(the control endpoints' secret comes through the environment, never the command line)
The local API Gateway (gateway/) and the user pool's managed-login domain (managed_login/) run in
the same process on their own ports, so that they read the stack's STS, IAM and Cognito state
directly. Exits 3 when a port is taken. With --owner-pid it exits by itself once that process is gone,
so an interrupted test run leaves nothing behind.
"""

import argparse
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# flask_cors off (read by moto.settings at import): moto_ext/cors.py answers CORS as AWS does.
os.environ["MOTO_DISABLE_GLOBAL_CORS"] = "1"

import managed_login  # noqa: E402  (after the path tweak)
import moto_ext  # noqa: E402
from gateway import wiring as gateway_wiring  # noqa: E402
from moto_ext import user_events  # noqa: E402
from provision import NAME as LOGIN_DOMAIN  # noqa: E402
from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server  # noqa: E402


class RequestHandler(MotoRequestHandler):
    def log_request(self, code="-", size="-"):
        # Request line without the query string: presigned URLs carry credentials there.
        self.log("info", '"%s %s" %s', self.command, self.path.split("?", 1)[0], code)


def _start_time(pid):
    """Kernel start time of `pid` (None once it is gone or a zombie): guards against pid reuse."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] in ("Z", "X") else fields[19]


def _watch_owner(pid):
    started = _start_time(pid)
    while started is not None and _start_time(pid) == started:
        time.sleep(0.2)
    print(f"owner process {pid} is gone: stopping", file=sys.stderr, flush=True)
    os.kill(os.getpid(), signal.SIGTERM)


def _stop(*_):
    raise SystemExit(0)  # unwinds serve_forever in the main thread


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--owner-pid", type=int)
    parser.add_argument("--pid-file")
    parser.add_argument("--gateway-port", type=int, required=True)
    parser.add_argument("--function-url", required=True)
    parser.add_argument("--login-port", type=int, required=True)
    args = parser.parse_args()
    secret = os.environ.pop("LOCAL_STACK_SECRET", "")
    if len(secret) < 32:
        sys.exit("server.py: LOCAL_STACK_SECRET (the control endpoints' secret, 32+ characters) is not set: "
                 "start the stack with stack.py up")

    moto_ext.apply()
    gateway = gateway_wiring.build(args.function_url)
    # The user pool's revoking calls go to the `revocations` function where the gateway sends
    # requests to `read-file` (`cargo lambda watch` serves both).
    events = user_events.Emitter(args.function_url)
    user_events.install(events)
    endpoints = {**gateway_wiring.endpoints(gateway), **user_events.endpoints(events)}
    try:
        login_app, login_server = managed_login.serve(LOGIN_DOMAIN, "127.0.0.1", args.login_port)
        # The managed login's control endpoints sit with the others: the same secret, no Origin.
        app = moto_ext.wrap(DomainDispatcherApplication(create_backend_app),
                            {**endpoints, **managed_login.endpoints(login_app)}, secret)
        app = managed_login.discovery(app, f"http://127.0.0.1:{args.login_port}", f"http://127.0.0.1:{args.port}")
        server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=RequestHandler)
        gateway_server = gateway_wiring.serve(gateway, "127.0.0.1", args.gateway_port)
    except OSError as error:
        print(f"cannot listen on 127.0.0.1:{args.port}, :{args.gateway_port} or :{args.login_port}: "
              f"{error.strerror}", file=sys.stderr, flush=True)
        sys.exit(3)
    threading.Thread(target=gateway_server.serve_forever, daemon=True, name="gateway").start()
    threading.Thread(target=login_server.serve_forever, daemon=True, name="managed-login").start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if args.owner_pid:
        threading.Thread(target=_watch_owner, args=(args.owner_pid,), daemon=True).start()
    print(f"serving on 127.0.0.1:{args.port}, API gateway on 127.0.0.1:{args.gateway_port} -> "
          f"{args.function_url}, managed login on 127.0.0.1:{args.login_port} (pid {os.getpid()})",
          file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    finally:
        gateway_server.server_close()
        login_server.server_close()
        server.server_close()
        _remove_own_pid_file(args.pid_file)


def _remove_own_pid_file(path):
    try:
        with open(path) as pid_file:
            if pid_file.read().strip() == str(os.getpid()):
                os.unlink(path)
    except (OSError, TypeError):
        pass


if __name__ == "__main__":
    main()
