"""The shared session tier's pieces of the stack, through boto3 and a plain HTTP listener: the table
as infra/tables/session.json defines it, each principal held to its policy on it (the grants the CDK
app deploys), DynamoDB's own fault shapes, and the user pool's revoking calls delivered to the
`revocations` function's Invoke API as CloudTrail-shaped EventBridge events.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from support import ENV, ROOT, control, error_of, make_client, public_client_id, unique

SPEC = json.loads((ROOT / "infra" / "tables" / "session.json").read_text())
TABLE = SPEC["localTableName"]
INVOKE_PATH = "/2015-03-31/functions/revocations/invocations"


def key(pk, sk="verdict"):
    return {SPEC["partitionKey"]["name"]: {"S": pk}, SPEC["sortKey"]["name"]: {"S": sk}}


@pytest.fixture(scope="module")
def fixture_db():
    return make_client("dynamodb")


@pytest.fixture(scope="module")
def lambda_db():
    return make_client("dynamodb", ENV["AWS_ACCESS_KEY_ID"], ENV["AWS_SECRET_ACCESS_KEY"])


@pytest.fixture(scope="module")
def revocations_db():
    return make_client("dynamodb", ENV["REVOCATIONS_AWS_ACCESS_KEY_ID"], ENV["REVOCATIONS_AWS_SECRET_ACCESS_KEY"])


def test_the_table_is_the_one_the_cdk_app_creates(fixture_db):
    table = fixture_db.describe_table(TableName=TABLE)["Table"]
    assert ENV["SESSION_TABLE"] == TABLE
    assert table["KeySchema"] == [
        {"AttributeName": SPEC["partitionKey"]["name"], "KeyType": "HASH"},
        {"AttributeName": SPEC["sortKey"]["name"], "KeyType": "RANGE"},
    ]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = fixture_db.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": SPEC["timeToLiveAttribute"]}


def test_the_lambda_principal_gets_puts_updates_queries_and_deletes_items_and_nothing_else(lambda_db, fixture_db):
    pk = unique("canary-lambda")
    lambda_db.put_item(TableName=TABLE, Item={**key(pk), "state": {"S": "enabled"}})
    assert lambda_db.get_item(TableName=TABLE, Key=key(pk))["Item"]["state"] == {"S": "enabled"}
    lambda_db.update_item(TableName=TABLE, Key=key(pk), UpdateExpression="SET #s = :s",
                          ExpressionAttributeNames={"#s": "state"}, ExpressionAttributeValues={":s": {"S": "disabled"}})
    batch = lambda_db.batch_get_item(RequestItems={TABLE: {"Keys": [key(pk)]}})
    assert batch["Responses"][TABLE][0]["state"] == {"S": "disabled"}
    # The owners' share index (`user#<sub>` / `share#<id>`): listed with Query, revoked with DeleteItem.
    lambda_db.put_item(TableName=TABLE, Item=key(pk, "share#canary"))
    found = lambda_db.query(TableName=TABLE, KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                            ExpressionAttributeValues={":p": {"S": pk}, ":s": {"S": "share#"}})["Items"]
    assert found == [key(pk, "share#canary")]
    lambda_db.delete_item(TableName=TABLE, Key=key(pk, "share#canary"))
    assert "Item" not in lambda_db.get_item(TableName=TABLE, Key=key(pk, "share#canary"))
    for refused in (
        lambda: lambda_db.scan(TableName=TABLE),
        lambda: lambda_db.batch_write_item(RequestItems={TABLE: [{"DeleteRequest": {"Key": key(pk)}}]}),
        lambda: lambda_db.describe_table(TableName=TABLE),
        lambda: lambda_db.delete_table(TableName=TABLE),
    ):
        assert error_of(refused)[0] == "AccessDeniedException"
    lambda_db.delete_item(TableName=TABLE, Key=key(pk))
    # Another table of the account: nothing at all.
    other = unique("canary-other-table")
    fixture_db.create_table(TableName=other, BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                  {"AttributeName": "sk", "AttributeType": "S"}])
    try:
        assert error_of(lambda_db.get_item, TableName=other, Key=key(pk))[0] == "AccessDeniedException"
        assert error_of(lambda_db.put_item, TableName=other, Item=key(pk))[0] == "AccessDeniedException"
    finally:
        fixture_db.delete_table(TableName=other)


def test_the_revocations_principal_updates_queries_and_deletes_and_nothing_else(revocations_db, fixture_db):
    pk = unique("canary-revocations")
    fixture_db.put_item(TableName=TABLE, Item=key(pk, "keys#x"))
    revocations_db.update_item(TableName=TABLE, Key=key(pk), UpdateExpression="ADD #r :one",
                               ExpressionAttributeNames={"#r": "rev"}, ExpressionAttributeValues={":one": {"N": "1"}})
    found = revocations_db.query(TableName=TABLE, KeyConditionExpression="pk = :p AND begins_with(sk, :k)",
                                 ExpressionAttributeValues={":p": {"S": pk}, ":k": {"S": "keys#"}})["Items"]
    assert [item["sk"]["S"] for item in found] == ["keys#x"]
    revocations_db.delete_item(TableName=TABLE, Key=key(pk, "keys#x"))
    for refused in (
        lambda: revocations_db.get_item(TableName=TABLE, Key=key(pk)),
        lambda: revocations_db.put_item(TableName=TABLE, Item=key(pk)),
        lambda: revocations_db.scan(TableName=TABLE),
        lambda: revocations_db.batch_get_item(RequestItems={TABLE: {"Keys": [key(pk)]}}),
    ):
        assert error_of(refused)[0] == "AccessDeniedException"


def test_dynamodb_faults_answer_dynamodbs_own_errors(lambda_db):
    control("DELETE", "/moto-ext/faults")
    try:
        control("POST", "/moto-ext/faults", {"target": "dynamodb:GetItem", "kind": "throttle", "count": 1})
        assert error_of(lambda_db.get_item, TableName=TABLE, Key=key("canary-fault")) == ("ThrottlingException", 400)
        control("POST", "/moto-ext/faults", {"target": "dynamodb:*", "kind": "error", "count": 1})
        assert error_of(lambda_db.get_item, TableName=TABLE, Key=key("canary-fault")) == ("InternalServerError", 500)
        calls = control("GET", "/moto-ext/calls")[1]
        assert calls.get("dynamodb:GetItem", 0) >= 2
    finally:
        control("DELETE", "/moto-ext/faults")


# ------------------------------------------------------------------ revoking calls


class Listener:
    """A stand-in for the function's Invoke API: records every POST (path, JSON, when)."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append((self.path, json.loads(body), time.monotonic()))
                answer = b'{"applied": "recorded"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait(self, count, timeout=10):
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received


@pytest.fixture()
def listener():
    original = control("GET", "/moto-ext/user-events")[1]
    listener = Listener()
    control("POST", "/moto-ext/user-events/config", {"function_url": listener.url, "delay_ms": 300, "lost": False})
    yield listener
    control("POST", "/moto-ext/user-events/config", {"function_url": original["function_url"],
                                                     "delay_ms": original["delay_ms"], "lost": original["lost"]})
    listener.server.shutdown()


def new_user(admin):
    idp, pool, name = admin["cognito-idp"], ENV["USER_POOL_ID"], unique("canary-revoked")
    idp.admin_create_user(UserPoolId=pool, Username=name, MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool, Username=name, Password="Canary-Passw0rd!-1", Permanent=True)
    attributes = idp.admin_get_user(UserPoolId=pool, Username=name)["UserAttributes"]
    return name, next(a["Value"] for a in attributes if a["Name"] == "sub")


@pytest.mark.parametrize("call,name", [
    ("admin_disable_user", "AdminDisableUser"),
    ("admin_enable_user", "AdminEnableUser"),
    ("admin_user_global_sign_out", "AdminUserGlobalSignOut"),
    ("admin_delete_user", "AdminDeleteUser"),
])
def test_an_admin_revoking_call_reaches_the_function_as_cloudtrail_records_it(admin, listener, call, name):
    username, sub = new_user(admin)
    called = time.monotonic()
    getattr(admin["cognito-idp"], call)(UserPoolId=ENV["USER_POOL_ID"], Username=username)
    (path, event, at), = listener.wait(1)
    assert path == INVOKE_PATH
    assert at - called >= 0.3, "delivered after the configured delay"
    assert event["detail-type"] == "AWS API Call via CloudTrail"
    assert event["source"] == "aws.cognito-idp"
    assert event["account"] == ENV["ACCOUNT_ID"] and event["region"] == ENV["AWS_REGION"]
    detail = event["detail"]
    assert detail["eventSource"] == "cognito-idp.amazonaws.com"
    assert detail["eventName"] == name
    assert detail["additionalEventData"] == {"sub": sub}
    assert detail["requestParameters"] == {"userPoolId": ENV["USER_POOL_ID"], "username": "HIDDEN_FOR_SECURITY_REASONS"}
    assert "errorCode" not in detail
    assert time.strptime(detail["eventTime"], "%Y-%m-%dT%H:%M:%SZ")
    assert username not in json.dumps(event), "Cognito hides usernames in CloudTrail"
    # This event's own record (an earlier test's event, still on its delay, may finish after it).
    deadline, outcomes = time.monotonic() + 2, []
    while time.monotonic() < deadline and not outcomes:
        outcomes = [r["outcome"] for r in control("GET", "/moto-ext/user-events")[1]["recent"]
                    if (r["eventName"], r["sub"]) == (name, sub)]
        time.sleep(0.05)
    assert outcomes == ["delivered"]


def test_a_global_sign_out_with_an_access_token_names_no_pool_and_hides_the_token(admin, listener):
    username, sub = new_user(admin)
    tokens = admin["cognito-idp"].admin_initiate_auth(
        UserPoolId=ENV["USER_POOL_ID"], ClientId=public_client_id(), AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": "Canary-Passw0rd!-1"})["AuthenticationResult"]
    make_client("cognito-idp").global_sign_out(AccessToken=tokens["AccessToken"])
    (_, event, _), = listener.wait(1)
    detail = event["detail"]
    assert detail["eventName"] == "GlobalSignOut"
    assert detail["additionalEventData"] == {"sub": sub}
    assert detail["requestParameters"] == {"accessToken": "HIDDEN_FOR_SECURITY_REASONS"}
    assert tokens["AccessToken"] not in json.dumps(event)


def test_a_failed_call_emits_nothing_and_a_lost_event_is_never_delivered(admin, listener):
    with pytest.raises(admin["cognito-idp"].exceptions.UserNotFoundException):
        admin["cognito-idp"].admin_disable_user(UserPoolId=ENV["USER_POOL_ID"], Username=unique("canary-nobody"))
    control("POST", "/moto-ext/user-events/config", {"lost": True})
    username, _ = new_user(admin)
    before = control("GET", "/moto-ext/user-events")[1]["dropped"]
    admin["cognito-idp"].admin_disable_user(UserPoolId=ENV["USER_POOL_ID"], Username=username)
    assert listener.wait(1, timeout=1.5) == []
    assert control("GET", "/moto-ext/user-events")[1]["dropped"] == before + 1


def test_the_delivery_settings_are_checked(listener):
    for bad in ({"delay_ms": -1}, {"delay_ms": "1"}, {"lost": "yes"}, {"function_url": "ftp://x"}, []):
        status, answer = control("POST", "/moto-ext/user-events/config", bad)
        assert status == 400 and "error" in answer, bad
