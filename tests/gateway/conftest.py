"""Through the local API gateway, with the real function under `cargo lambda watch` and three
SigV4 signers we did not write (curl --aws-sigv4, awscurl, botocore). Needs the running local stack
(`make local-up`; `make test` starts one); fails loudly without it, never skips.

GATEWAY_E2E_PORT: the port of this suite's `cargo lambda watch` (default 9013)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "infra" / "local"))
sys.path.insert(0, str(ROOT / "infra" / "local" / "gateway" / "tests"))
STATE = ROOT / ".local"


def read_env(path):
    if not path.exists():
        pytest.fail(f"the local stack is not running ({path} is missing): run `make local-up` first", pytrace=False)
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


class Stack:
    def __init__(self):
        self.env = read_env(STATE / "stack.env")
        self.fixtures = read_env(STATE / "fixtures.env")
        self.control = f"http://127.0.0.1:{self.fixtures['LOCAL_STACK_PORT']}/moto-ext"
        self.api_url = self.env["API_URL"]
        try:
            self.gateway()
        except OSError as error:
            pytest.fail(f"the local stack does not answer ({error}): run `make local-up`", pytrace=False)

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        request = urllib.request.Request(f"{self.control}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def gateway(self):
        return self._call("GET", "/gateway")

    def invocations(self):
        return self.gateway()["invocations"]

    def reset_gateway(self):
        return self._call("POST", "/gateway/reset")

    def configure(self, **values):
        return self._call("POST", "/gateway/config", values)

    def expire(self, access_key_id):
        return self._call("POST", "/credentials/expire", {"AccessKeyId": access_key_id})

    def credentials(self, user):
        """What a signed-in frontend holds: ID token, the identity's own keys, IdentityId."""
        import provision

        return Identity(user, provision.user_credentials(self.env, self.fixtures, user))

    def token(self, user):
        import provision

        return provision.fresh_token(self.env, self.fixtures, user)


class Identity(dict):
    """A user's ID token and keys; its repr names the user only, so that no assertion message or
    traceback ever prints a token or a key."""

    def __init__(self, user, values):
        super().__init__(values)
        self.user = user

    def __repr__(self):
        return f"<{self.user}'s ID token and identity keys>"

    def with_values(self, **values):
        return Identity(self.user + " (altered)", {**self, **values})


@pytest.fixture(scope="session")
def stack():
    return Stack()


@pytest.fixture(scope="session")
def function(stack):
    """The real function under `cargo lambda watch`, and the gateway pointed at it for the session."""
    port = int(os.environ.get("GATEWAY_E2E_PORT") or 9013)
    url = f"http://127.0.0.1:{port}"
    with socket.socket() as probe:  # another process there would be served instead of ours
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            pytest.fail(f"port {port} is in use: set GATEWAY_E2E_PORT to a free port", pytrace=False)
    log = open(STATE / "gateway-e2e-watch.log", "wb")
    env = {**os.environ, "PATH": f"{STATE / 'venv' / 'bin'}:{os.environ['PATH']}"}
    watch = subprocess.Popen(
        ["cargo", "lambda", "watch", "--quiet", "--invoke-address", "127.0.0.1", "--invoke-port", str(port),
         "--env-file", str(STATE / "stack.env")],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    previous = stack.gateway()
    try:
        _wait_until_served(url, watch)
        stack.configure(function_url=url, timeout=29)
        stack.reset_gateway()
        yield url
    finally:
        stack.configure(function_url=previous["function_url"], timeout=previous["timeout"])
        os.killpg(watch.pid, signal.SIGTERM)
        try:
            watch.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(watch.pid, signal.SIGKILL)
            watch.wait()
        log.close()


def _wait_until_served(url, watch):
    # The first request waits for the debug build (minutes when cold); an unsigned call answers 401.
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        if watch.poll() is not None:
            pytest.fail(f"cargo lambda watch exited ({watch.returncode}); see .local/gateway-e2e-watch.log", pytrace=False)
        try:
            urllib.request.urlopen(f"{url}/lambda-url/read-file/read-file", timeout=300)
        except urllib.error.HTTPError as error:
            if error.code == 401:
                return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail("cargo lambda watch did not serve the function in 15 minutes", pytrace=False)
