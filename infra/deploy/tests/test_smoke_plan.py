"""The smoke check's plan comes from infra/api/api.json: a route it has no check for fails the run.
Also what it prints: never a token, a key or a presigned URL; and the sharing steps against a fake
of the sharing contract, each broken promise failing its own step."""

import json
import subprocess
import sys
from urllib.parse import unquote

import pytest
import smoke


def test_every_route_of_api_json_has_a_check():
    checks, unknown = smoke.plan(smoke.load_routes())
    assert unknown == []
    assert [c.route for c in checks] == [c.route for c in smoke.ROUTE_CHECKS]


def test_plan_only_lists_the_checks_and_needs_no_aws():
    done = subprocess.run([sys.executable, smoke.__file__, "--plan-only"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\nroute ") + done.stdout.startswith("route ") == len(smoke.ROUTE_CHECKS)


def test_a_route_the_smoke_check_does_not_know_fails_it(tmp_path):
    api = json.loads(smoke.API_FILE.read_text())
    api["routes"].append({"method": "POST", "path": "/files/{name+}/copy", "authorization": "AWS_IAM", "integration": "lambda-proxy"})
    api_file = tmp_path / "api.json"
    api_file.write_text(json.dumps(api))
    done = subprocess.run([sys.executable, smoke.__file__, "--plan-only", "--api-file", str(api_file)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "FAIL POST /files/{name+}/copy: api.json has this route and the smoke check has no check for it" in done.stdout


def test_a_route_api_json_dropped_is_not_called():
    checks, unknown = smoke.plan(["GET /files", "PUT /files/{name+}"])
    assert [c.route for c in checks] == ["PUT /files/{name+}", "GET /files"]
    assert unknown == []


def test_redact_cuts_tokens_signatures_and_presigned_urls():
    jwt = "eyJraWQiOiJkdW1teSJ9.eyJzdWIiOiJhYmMifQ.c2lnbmF0dXJl"
    url = "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIA%2F&X-Amz-Security-Token=IQoJb3&X-Amz-Signature=abc"
    text = smoke.redact(f'got {jwt} and {{"url": "{url}"}} and {url} and x-amz-security-token=IQoJb3secret')
    for secret in (jwt, "IQoJb3", "X-Amz-Signature=abc", "ASIA%2F"):
        assert secret not in text
    assert "<token>" in text and '"url":"<cut>"' in text


def test_an_identity_never_shows_its_secrets_in_a_repr():
    user = smoke.Identity("A", "smoke-x-a")
    user.token, user.keys = "eyJ.secret.token", {"AccessKeyId": "ASIA1", "SecretKey": "s3cr3t", "SessionToken": "IQo"}
    assert repr(user) == "<smoke user A>"
    assert user.password not in repr(user)


def test_the_report_counts_and_a_failed_check_returns_none(capsys):
    report = smoke.Report()
    assert report.check("passes", lambda: "detail") == "detail"

    def fails():
        raise smoke.CheckFailed("expected 200, got 403 eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")

    assert report.check("fails", fails) is None
    assert (report.passed, report.failed) == (1, 1)
    out = capsys.readouterr().out
    assert "ok   passes" in out and "FAIL fails: expected 200, got 403 <token>" in out


def test_a_throttled_call_waits_and_is_sent_again(monkeypatch):
    """The stage's throttle answers 429 to a fast client: the smoke check waits and retries."""
    slept, answers = [], [(429, b'{"message": "Too Many Requests"}', {"Retry-After": "3"}),
                          (429, b'{"message": "Too Many Requests"}', {}), (200, b'{"ok": 1}', {})]
    monkeypatch.setattr(smoke.time, "sleep", slept.append)
    answer = smoke.Api._paced(lambda: answers.pop(0))
    assert (answer.status, slept) == (200, [3.0, 2.0])


def test_a_call_throttled_five_times_gives_the_429(monkeypatch):
    monkeypatch.setattr(smoke.time, "sleep", lambda s: None)
    calls = []
    answer = smoke.Api._paced(lambda: calls.append(1) or (429, b"", {}))
    assert (answer.status, len(calls)) == (429, 5)


# ---------------------------------------------------------------- sharing: the steps against a fake API


def test_every_sharing_route_has_a_step_and_no_other_route_is_run_between_users():
    between = [c.route for c in smoke.ROUTE_CHECKS if c.between_users]
    assert between == ["POST /shares", "GET /shares", "GET /shares/{id}", "DELETE /shares/{id}"]
    assert list(smoke.Sharing(_smoke(FakeShares())).steps()) == between


class FakeShares:
    """The sharing contract in memory (docs: /shares), with `bugs` to break one promise at a time."""

    def __init__(self, bugs=()):
        self.bugs, self.files, self.shares = set(bugs), {}, {}

    def call(self, method, path, signer, *, token_of=None, body=b"", headers=None, query=""):
        me = signer.username
        ok = lambda status, data=None, kind=None: smoke.Answer(status, {"status": "ok", "type": kind, "data": data}, {})  # noqa: E731
        err = lambda status, code: smoke.Answer(status, {"status": "error", "error": {"code": code}}, {})  # noqa: E731
        if path.startswith("/files/"):
            name = unquote(path[len("/files/"):])
            if method == "PUT":
                self.files[(me, name)] = body
                return ok(201, {"size": len(body)}, "file")
            return ok(204) if self.files.pop((me, name), None) is not None else err(404, "file_not_found")
        if path == "/shares" and method == "POST":
            ask = json.loads(body)
            if ask["with"] not in USERS:
                return err(400 if "unknown_is_400" in self.bugs else 404, "unknown_recipient")
            size = len(self.files[(me, ask["name"])])
            share_id = f"id-{len(self.shares)}"
            self.shares[share_id] = {"owner": me, "to": ask["with"], "name": ask["name"], "size": size}
            return ok(201, {"id": share_id, "name": ask["name"], "with": ask["with"], "size": size}, "share")
        if path == "/shares":
            mine = [{"id": i, "name": s["name"], "with": s["to"]} for i, s in self.shares.items() if s["owner"] == me]
            with_me = [{"id": i, "name": s["name"], "size": s["size"],
                        "from": None if "from_null" in self.bugs else s["owner"]}
                       for i, s in self.shares.items() if s["to"] == me]
            return ok(200, {"mine": mine, "withMe": with_me}, "shares")
        share_id = unquote(path[len("/shares/"):])
        share = self.shares.get(share_id)
        if method == "GET":
            if share and (share["to"] == me or ("owner_reads" in self.bugs and share["owner"] == me)):
                return ok(200, {"id": share_id, "from": share["owner"], "url": f"fake://{share_id}"}, "file")
            return err(404, "share_not_found")
        if share and (share["owner"] == me or ("recipient_deletes" in self.bugs and share["to"] == me)):
            if "revoke_keeps" not in self.bugs:
                del self.shares[share_id]
            return ok(204)
        return err(404, "share_not_found")


USERS = ("smoke-t-a", "smoke-t-b")


def _smoke(api):
    a, b = smoke.Identity("A", USERS[0]), smoke.Identity("B", USERS[1])
    return type("FakeSmoke", (), {"api": api, "a": a, "b": b, "run_id": "t"})()


def _run_sharing(monkeypatch, bugs=()):
    """{route: None (passed) or the failure message} of the four sharing steps, in order."""
    monkeypatch.setattr(smoke, "http", lambda method, url, **kw: (200, smoke.EVERY_BYTE, {}))
    sharing, results = smoke.Sharing(_smoke(FakeShares(bugs))), {}
    for route, step in sharing.steps().items():
        try:
            step()
            results[route] = None
        except smoke.CheckFailed as failure:
            results[route] = str(failure)
    return results


def test_the_sharing_steps_pass_on_the_contract(monkeypatch):
    assert _run_sharing(monkeypatch) == dict.fromkeys(["POST /shares", "GET /shares", "GET /shares/{id}", "DELETE /shares/{id}"])


@pytest.mark.parametrize("bug, route, says", [
    ("unknown_is_400", "POST /shares", "expected 404 unknown_recipient"),
    ("from_null", "GET /shares", "from None"),
    ("owner_reads", "GET /shares/{id}", "A's GET of the share it made: expected 404 share_not_found"),
    ("recipient_deletes", "DELETE /shares/{id}", "B's DELETE /shares/{id}: expected 404 share_not_found"),
    ("revoke_keeps", "DELETE /shares/{id}", "B's GET after A revoked: expected 404 share_not_found"),
])
def test_each_broken_sharing_promise_fails_its_step(monkeypatch, bug, route, says):
    results = _run_sharing(monkeypatch, [bug])
    assert says in (results[route] or ""), results
    assert [r for r, failure in results.items() if failure] == [route]


def test_a_download_that_is_not_byte_identical_fails(monkeypatch):
    sharing = smoke.Sharing(_smoke(FakeShares()))
    sharing.share()
    monkeypatch.setattr(smoke, "http", lambda method, url, **kw: (200, b"other bytes", {}))
    with pytest.raises(smoke.CheckFailed, match="not the 4096 shared"):
        sharing.download()


def test_the_cleanup_covers_the_users_shared_folders_too():
    target = type("T", (), {"prefix": "cognito-test"})()
    run = smoke.Smoke.__new__(smoke.Smoke)
    run.target = target
    assert run._folders("us-east-1:x") == ["cognito-test/us-east-1:x/", "cognito-test-shared/us-east-1:x/"]
