"""The smoke check's plan comes from infra/api/api.json: a route it has no check for fails the run.
Also what it prints: never a token, a key or a presigned URL."""

import json
import subprocess
import sys

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
