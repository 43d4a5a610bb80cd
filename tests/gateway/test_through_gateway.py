"""A signed-in frontend's real path: SigV4-signed GET <stage URL>/read-file with the identity's own
keys plus the idToken header, through the local API gateway, to the real function."""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from documented_event import check_keys

REGION = "us-east-1"


@dataclass
class Answer:
    status: int  # awscurl reports only success (200) or failure (0)
    body: str  # the gateway's or the function's answer: never a token or key (checked)

    def json(self):
        return json.loads(self.body)


def curl(url, creds, *, token=None, region=REGION, method="GET", extra=()):
    """curl --aws-sigv4 signing with `creds`' keys, sending `token`'s ID token (an Identity, whose
    repr hides it); keys and tokens go through a config on stdin, never the command line."""
    token = token["ID_TOKEN"] if token is not None else None
    lines = [f'aws-sigv4 = "aws:amz:{region}:execute-api"',
             f'user = "{creds["AWS_ACCESS_KEY_ID"]}:{creds["AWS_SECRET_ACCESS_KEY"]}"',
             f'header = "x-amz-security-token: {creds["AWS_SESSION_TOKEN"]}"']
    if token:
        lines.append(f'header = "idToken: {token}"')
    run = subprocess.run(["curl", "-s", "-K", "-", "-X", method, "-w", "\n%{http_code}", *extra, url],
                         input="\n".join(lines), capture_output=True, text=True, timeout=60)
    body, _, status = run.stdout.rpartition("\n")
    return Answer(int(status), body)


def unsigned(url, method="GET", headers=()):
    run = subprocess.run(["curl", "-s", "-i", "-X", method, *sum((["-H", h] for h in headers), []), url],
                         capture_output=True, text=True, timeout=60)
    head, _, body = run.stdout.replace("\r\n", "\n").partition("\n\n")
    return int(head.split()[1]), dict(line.split(": ", 1) for line in head.splitlines()[1:]), body


# awscurl's own command-line entry point, given its arguments on stdin: the idToken header is one
# of them, and a token on a command line shows in `ps` and in a timeout's error message.
AWSCURL_FROM_STDIN = ("import json, sys; from awscurl.__main__ import main; "
                      "sys.argv = ['awscurl', *json.load(sys.stdin)]; sys.exit(main())")


def awscurl(url, creds, *, token):
    token = token["ID_TOKEN"]
    env = {**os.environ, "AWS_ACCESS_KEY_ID": creds["AWS_ACCESS_KEY_ID"],
           "AWS_SECRET_ACCESS_KEY": creds["AWS_SECRET_ACCESS_KEY"], "AWS_SESSION_TOKEN": creds["AWS_SESSION_TOKEN"]}
    env.pop("AWS_PROFILE", None)
    args = ["--fail-with-body", "--service", "execute-api", "--region", REGION, "-H", f"idToken: {token}", url]
    run = subprocess.run([sys.executable, "-c", AWSCURL_FROM_STDIN], input=json.dumps(args), env=env,
                         capture_output=True, text=True, timeout=60)
    return Answer(200 if run.returncode == 0 else 0, run.stdout)


def botocore_signed(url, creds, *, token, query=False):
    token = token["ID_TOKEN"]
    request = AWSRequest(method="GET", url=url, headers={"idToken": token})
    credentials = Credentials(creds["AWS_ACCESS_KEY_ID"], creds["AWS_SECRET_ACCESS_KEY"], creds["AWS_SESSION_TOKEN"])
    (SigV4QueryAuth(credentials, "execute-api", REGION) if query else SigV4Auth(credentials, "execute-api", REGION)).add_auth(request)
    prepared = urllib.request.Request(request.url, headers=dict(request.headers.items()), method="GET")
    try:
        with urllib.request.urlopen(prepared, timeout=60) as response:
            return Answer(response.status, response.read().decode())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read().decode())


SIGNERS = {
    "curl --aws-sigv4": lambda url, creds, token: curl(url, creds, token=token),
    "awscurl": lambda url, creds, token: awscurl(url, creds, token=token),
    "botocore SigV4Auth": lambda url, creds, token: botocore_signed(url, creds, token=token),
    "botocore query-string signature": lambda url, creds, token: botocore_signed(url, creds, token=token, query=True),
}


@pytest.fixture
def read_file(stack):
    return f"{stack.api_url}/read-file"


@pytest.mark.parametrize("signer", SIGNERS)
@pytest.mark.parametrize("user", ["admin", "user"])
def test_each_user_reads_their_own_file_through_the_gateway(stack, users, read_file, user, signer):
    creds = users[user]
    answer = SIGNERS[signer](read_file, creds, creds)
    assert answer.status == 200, answer.body
    assert answer.json() == {"status": "success", "type": "common", "data": user}


def test_the_function_receives_the_documented_rest_v1_event(stack, users, read_file):
    assert curl(read_file, users["admin"], token=users["admin"]).status == 200
    check_keys(stack.gateway()["last_event_shape"])


def test_user_as_keys_with_user_bs_token_are_refused_by_the_function(stack, users, read_file):
    before = stack.invocations()
    answer = curl(read_file, users["admin"], token=users["user"])
    assert answer.status == 403 and answer.json()["error"]["code"] == "identity_mismatch"
    assert stack.invocations() == before + 1  # the gateway let it through: the function refused it


def _never_invoked(stack, answer_of):
    before = stack.invocations()
    answer = answer_of()
    assert stack.invocations() == before, "the function was invoked"
    return answer


def test_an_unsigned_request_gets_missing_authentication_token(stack, function, read_file):
    status, headers, body = _never_invoked(stack, lambda: unsigned(read_file, headers=[f"idToken: x"]))
    assert (status, json.loads(body)) == (403, {"message": "Missing Authentication Token"})
    assert headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_a_wrong_secret_gets_the_signature_mismatch(stack, users, read_file):
    wrong = users["admin"].with_values(AWS_SECRET_ACCESS_KEY="not-" + users["admin"]["AWS_SECRET_ACCESS_KEY"])
    answer = _never_invoked(stack, lambda: curl(read_file, wrong, token=users["admin"]))
    assert answer.status == 403
    assert answer.json()["message"].startswith("The request signature we calculated does not match the signature you provided.")
    leaked = [name for name in ("AWS_SESSION_TOKEN", "ID_TOKEN", "AWS_SECRET_ACCESS_KEY") if users["admin"][name] in answer.body]
    assert leaked == []


def test_expired_identity_keys_get_the_expired_token_answer(stack, function, read_file):
    creds = stack.credentials("user")  # keys of their own: expiring them spoils no other test
    assert curl(read_file, creds, token=creds).status == 200
    stack.expire(creds["AWS_ACCESS_KEY_ID"])
    answer = _never_invoked(stack, lambda: curl(read_file, creds, token=creds))
    assert (answer.status, answer.json()) == (403, {"message": "The security token included in the request is expired"})


def test_a_signature_for_another_region_is_refused(stack, users, read_file):
    answer = _never_invoked(stack, lambda: curl(read_file, users["admin"], token=users["admin"], region="eu-west-1"))
    assert (answer.status, answer.json()) == (403, {"message": "Credential should be scoped to a valid region, not 'eu-west-1'. "})


def test_unknown_keys_are_refused(stack, users, read_file):
    unknown = users["admin"].with_values(AWS_ACCESS_KEY_ID="ASIA" + "Q" * 16)
    answer = _never_invoked(stack, lambda: curl(read_file, unknown, token=users["admin"]))
    assert (answer.status, answer.json()) == (403, {"message": "The security token included in the request is invalid."})


def test_a_principal_without_the_invoke_grant_is_refused_by_iam(stack, function, read_file):
    # The Lambda's own IAM user may only call AdminGetUser: no execute-api:Invoke.
    lambda_keys = {"AWS_ACCESS_KEY_ID": stack.env["AWS_ACCESS_KEY_ID"],
                   "AWS_SECRET_ACCESS_KEY": stack.env["AWS_SECRET_ACCESS_KEY"], "AWS_SESSION_TOKEN": ""}
    request = AWSRequest(method="GET", url=read_file)
    SigV4Auth(Credentials(lambda_keys["AWS_ACCESS_KEY_ID"], lambda_keys["AWS_SECRET_ACCESS_KEY"]), "execute-api", REGION).add_auth(request)

    def call():
        try:
            urllib.request.urlopen(urllib.request.Request(request.url, headers=dict(request.headers.items())), timeout=30)
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())
        return 200, None

    status, body = _never_invoked(stack, call)
    api_id = stack.env["API_ID"]
    assert status == 403
    assert body["message"].startswith(
        f"User: arn:aws:iam::{stack.env['ACCOUNT_ID']}:user/read-file-local-lambda is not authorized to perform: "
        f"execute-api:Invoke on resource: arn:aws:execute-api:{REGION}:{stack.env['ACCOUNT_ID']}:{api_id}/v1/GET/read-file")


def test_a_role_denied_the_route_is_refused_by_iam(stack, users, read_file):
    import provision  # the fixture principal (allowed everything) edits the role, as an admin would

    fixture = {"aws_access_key_id": stack.fixtures["FIXTURE_AWS_ACCESS_KEY_ID"],
               "aws_secret_access_key": stack.fixtures["FIXTURE_AWS_SECRET_ACCESS_KEY"]}
    iam = provision.client("iam", stack.env["AWS_ENDPOINT_URL"], **fixture)
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "execute-api:Invoke",
                                                   "Resource": f"arn:aws:execute-api:*:*:{stack.env['API_ID']}/*/GET/read-file"}]}
    iam.put_role_policy(RoleName="read-file-local-authenticated", PolicyName="test-deny", PolicyDocument=json.dumps(deny))
    try:
        answer = _never_invoked(stack, lambda: curl(read_file, users["user"], token=users["user"]))
    finally:
        iam.delete_role_policy(RoleName="read-file-local-authenticated", PolicyName="test-deny")
    assert answer.status == 403 and "is not authorized to perform: execute-api:Invoke" in answer.json()["message"]
    assert curl(read_file, users["user"], token=users["user"]).status == 200  # the grant is back


@pytest.mark.parametrize("method,path", [("POST", "/read-file"), ("GET", "/other"), ("DELETE", "/read-file")])
def test_a_method_or_path_the_api_does_not_define_is_missing_authentication_token(stack, users, method, path):
    answer = _never_invoked(stack, lambda: curl(f"{stack.api_url}{path}", users["admin"], token=users["admin"], method=method))
    assert (answer.status, answer.json()) == (403, {"message": "Missing Authentication Token"})


def test_the_cors_preflight_is_answered_unsigned(stack, function, read_file):
    status, headers, body = _never_invoked(stack, lambda: unsigned(read_file, "OPTIONS", [
        "Origin: http://localhost:3000", "Access-Control-Request-Method: GET",
        "Access-Control-Request-Headers: authorization,idtoken,x-amz-date,x-amz-security-token"]))
    assert status == 204 and body == ""
    assert headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert set(headers["Access-Control-Allow-Headers"].split(",")) >= {"Authorization", "idToken", "X-Amz-Date", "X-Amz-Security-Token"}
    assert headers["Access-Control-Allow-Methods"] == "GET,PUT,POST,DELETE,OPTIONS"


def test_the_stage_throttle_answers_429(stack, function, read_file):
    def burst():
        answers = []
        for _ in range(100):  # as fast as one client goes: far above 20 requests/s
            try:
                urllib.request.urlopen(read_file, timeout=10)
            except urllib.error.HTTPError as error:
                answers.append((error.code, error.read()))
        return answers

    stack.reset_gateway()
    try:
        answers = _never_invoked(stack, burst)
    finally:
        stack.reset_gateway()
    statuses = [status for status, _ in answers]
    # burst 40 at 20/s (infra/api/api.json): the first 40 reach authentication (403), then the
    # bucket refills slower than the client asks.
    assert statuses[:40] == [403] * 40 and 429 in statuses[40:]
    assert json.loads(next(body for status, body in answers if status == 429)) == {"message": "Too Many Requests"}


def test_a_function_that_is_not_running_is_502(stack, users, function, read_file):
    stack.configure(function_url="http://127.0.0.1:9")  # nothing listens on the discard port
    try:
        answer = curl(read_file, users["admin"], token=users["admin"])
    finally:
        stack.configure(function_url=function)
    assert (answer.status, answer.json()) == (502, {"message": "Internal server error"})
    assert curl(read_file, users["admin"], token=users["admin"]).status == 200  # and it recovers


def test_no_token_or_key_reaches_the_stacks_log(stack, users, read_file):
    """The gateway logs method, path and status; never a query string (query-string signatures carry
    the session token there), a header, or a body."""
    assert botocore_signed(read_file, users["user"], token=users["user"], query=True).status == 200
    log = (os.path.dirname(os.path.abspath(__file__)) + "/../../.local/stack.log")
    text = open(log, encoding="utf-8", errors="replace").read()
    secrets = [users[u][name] for u in users for name in ("ID_TOKEN", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")]
    assert not any(secret in text for secret in secrets)
