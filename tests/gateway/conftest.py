"""Through the local API gateway, with the real function under `cargo lambda watch` and three
SigV4 signers we did not write (curl --aws-sigv4, awscurl, botocore). Needs the running local stack
(`make local-up`; `make test` starts one); fails loudly without it, never skips.

GATEWAY_E2E_PORT: the port of this suite's `cargo lambda watch` (default 9013)."""

import os
import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "infra" / "local"))
sys.path.insert(0, str(ROOT / "infra" / "local" / "gateway" / "tests"))
import stack_client  # noqa: E402

STATE = stack_client.STATE


class Stack:
    def __init__(self):
        try:
            stack_client.settings()
        except stack_client.NotRunning as error:
            pytest.fail(str(error), pytrace=False)
        self.env = stack_client.read_env(stack_client.STACK_ENV)
        self.fixtures = stack_client.read_env(stack_client.FIXTURES_ENV)
        self.api_url = self.env["API_URL"]
        try:
            self.gateway()
        except OSError as error:
            pytest.fail(f"the local stack does not answer ({error}): run `make local-up`", pytrace=False)

    def _call(self, method, path, body=None):
        status, answer = stack_client.control(method, f"/moto-ext{path}", body)
        assert 200 <= status < 300, f"{method} /moto-ext{path}: {status} {answer}"
        return answer

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


@pytest.fixture(scope="module")
def users(stack, function):
    """Each user's ID token and keys (fresh for each test module), with the function served."""
    return {user: stack.credentials(user) for user in ("admin", "user")}


@pytest.fixture(scope="session")
def function(stack):
    """The real function under `cargo lambda watch`, and the gateway pointed at it for the session."""
    port = int(os.environ.get("GATEWAY_E2E_PORT") or 9013)
    with socket.socket() as probe:  # another process there would be served instead of ours
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            pytest.fail(f"port {port} is in use: set GATEWAY_E2E_PORT to a free port", pytrace=False)
    previous = stack.gateway()
    try:
        watch = stack_client.start_watch(port, STATE / "gateway-e2e-watch.log")
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        stack.configure(function_url=f"http://127.0.0.1:{port}", timeout=29)
        stack.reset_gateway()
        yield f"http://127.0.0.1:{port}"
    finally:
        stack.configure(function_url=previous["function_url"], timeout=previous["timeout"])
        stack_client.stop_watch(watch)
