"""Unit tests of the extension's IAM evaluator: the condition rules the canary cannot reach
end to end (the canary shows the same evaluator on the real policies, through S3)."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from moto_ext.iam_eval import ALLOW, DENY, IMPLICIT_DENY, evaluate  # noqa: E402

POLICIES = Path(__file__).resolve().parents[2] / "policies"
SUB = "us-east-1:11111111-2222-3333-4444-555555555555"
BUCKET_ARN = "arn:aws:s3:::bucket"


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action="s3:GetObject", resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def cond(operator, key, values):
    return allow(Condition={operator: {key: values}})


def decide(statement, context=None):
    return evaluate([policy(statement)], "s3:GetObject", "arn:aws:s3:::b/k", context or {})


# ---------------------------------------------------------------- the project's own policy


@pytest.fixture(scope="module")
def user_files():
    text = (POLICIES / "user-files.json").read_text().replace("{{PARTITION}}", "aws").replace("{{BUCKET}}", "bucket").replace("{{PREFIX}}", "cognito-test")
    return json.loads(text)


def identity_context(**extra):
    return {"cognito-identity.amazonaws.com:sub": [SUB], **extra}


@pytest.mark.parametrize("prefix, expected", [
    (f"cognito-test/{SUB}/", ALLOW),
    (f"cognito-test/{SUB}/deeper/", ALLOW),
    (f"cognito-test/{SUB}", IMPLICIT_DENY),
    (f"cognito-test/{SUB}-evil/", IMPLICIT_DENY),
    ("cognito-test/", IMPLICIT_DENY),
    ("", IMPLICIT_DENY),
    (None, IMPLICIT_DENY),  # no s3:prefix in the request (e.g. GetObject's context)
])
def test_list_own_prefix_only(user_files, prefix, expected):
    context = identity_context(**({"s3:prefix": [prefix]} if prefix is not None else {}))
    assert evaluate([user_files], "s3:ListBucket", BUCKET_ARN, context) == expected


@pytest.mark.parametrize("key, expected", [
    (f"cognito-test/{SUB}/data.txt", ALLOW),
    (f"cognito-test/{SUB}", ALLOW),
    (f"cognito-test/{SUB}-evil/data.txt", IMPLICIT_DENY),
    ("cognito-test/us-east-1:other/data.txt", IMPLICIT_DENY),
])
def test_objects_under_own_prefix_only(user_files, key, expected):
    assert evaluate([user_files], "s3:GetObject", f"{BUCKET_ARN}/{key}", identity_context()) == expected


def test_without_an_identity_the_variable_matches_nothing(user_files):
    """Keys not issued by GetCredentialsForIdentity have no cognito-identity sub."""
    assert evaluate([user_files], "s3:GetObject", f"{BUCKET_ARN}/cognito-test//data.txt", {}) == IMPLICIT_DENY


def test_trust_policy():
    text = (POLICIES / "authenticated-trust.json").read_text().replace("{{IDENTITY_POOL_ID}}", "us-east-1:pool")
    trust = json.loads(text)
    good = {"cognito-identity.amazonaws.com:aud": ["us-east-1:pool"],
            "cognito-identity.amazonaws.com:amr": ["authenticated", "cognito-idp.us-east-1.amazonaws.com/p"]}
    federated = "cognito-identity.amazonaws.com"
    action = "sts:AssumeRoleWithWebIdentity"
    assert evaluate([trust], action, None, good, federated) == ALLOW
    assert evaluate([trust], action, None, {**good, "cognito-identity.amazonaws.com:aud": ["x"]}, federated) == IMPLICIT_DENY
    assert evaluate([trust], action, None, {**good, "cognito-identity.amazonaws.com:amr": ["unauthenticated"]}, federated) == IMPLICIT_DENY
    assert evaluate([trust], action, None, good, "accounts.google.com") == IMPLICIT_DENY
    assert evaluate([trust], "sts:AssumeRole", None, good, federated) == IMPLICIT_DENY


# ---------------------------------------------------------------- evaluation rules


def test_explicit_deny_wins():
    statements = [allow(), {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]
    assert evaluate([policy(*statements)], "s3:GetObject", "arn:aws:s3:::b/k", {}) == DENY
    assert evaluate([policy(allow()), policy(statements[1])], "s3:GetObject", "arn:aws:s3:::b/k", {}) == DENY


def test_action_is_case_insensitive_and_not_action():
    assert decide(allow(action="S3:get*")) == ALLOW
    assert decide({"Effect": "Allow", "NotAction": "s3:PutObject", "Resource": "*"}) == ALLOW
    assert decide({"Effect": "Allow", "NotAction": "s3:Get*", "Resource": "*"}) == IMPLICIT_DENY


def test_resource_wildcards_are_not_regular_expressions():
    assert decide(allow(resource="arn:aws:s3:::b/?")) == ALLOW
    assert decide(allow(resource="arn:aws:s3:::b/.")) == IMPLICIT_DENY
    assert decide(allow(resource="arn:aws:s3:::B/k")) == IMPLICIT_DENY  # case-sensitive
    assert decide({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::b/*"}) == IMPLICIT_DENY


@pytest.mark.parametrize("operator, values, context, expected", [
    ("StringEquals", ["a", "b"], {"k": ["b"]}, ALLOW),
    ("StringEquals", "a", {"k": ["A"]}, IMPLICIT_DENY),
    ("StringEqualsIgnoreCase", "a", {"k": ["A"]}, ALLOW),
    ("StringEquals", "a", {}, IMPLICIT_DENY),  # missing key: false
    ("StringEqualsIfExists", "a", {}, ALLOW),  # ... except with IfExists
    ("StringEqualsIfExists", "a", {"k": ["b"]}, IMPLICIT_DENY),
    ("StringNotEquals", "a", {}, ALLOW),  # negated single-valued: missing key holds
    ("StringNotEquals", "a", {"k": ["a"]}, IMPLICIT_DENY),
    ("StringLike", "a*", {"k": ["abc"]}, ALLOW),
    ("StringNotLike", "a*", {"k": ["abc"]}, IMPLICIT_DENY),
    ("ForAnyValue:StringLike", "auth*", {"k": ["x", "authenticated"]}, ALLOW),
    ("ForAnyValue:StringLike", "auth*", {}, IMPLICIT_DENY),
    ("ForAnyValue:StringNotEquals", "a", {}, IMPLICIT_DENY),
    ("ForAllValues:StringEquals", ["a", "b"], {"k": ["a", "b"]}, ALLOW),
    ("ForAllValues:StringEquals", ["a", "b"], {"k": ["a", "c"]}, IMPLICIT_DENY),
    ("ForAllValues:StringEquals", ["a"], {}, ALLOW),  # vacuously true
    ("Bool", True, {"k": ["true"]}, ALLOW),
    ("Bool", "false", {"k": ["true"]}, IMPLICIT_DENY),
    ("Null", "true", {}, ALLOW),
    ("Null", "false", {}, IMPLICIT_DENY),
    ("StringEquals", "${v}", {"k": ["x"], "v": ["x"]}, ALLOW),  # policy variable in a condition
    ("StringEquals", "${v}", {"k": ["x"]}, IMPLICIT_DENY),  # ... without a value: no match
])
def test_conditions(operator, values, context, expected):
    assert decide(cond(operator, "k", values), context) == expected


def test_condition_keys_are_case_insensitive():
    assert decide(cond("StringEquals", "S3:Prefix", "p"), {"s3:prefix": ["p"]}) == ALLOW


def test_unsupported_operator_denies_rather_than_allows():
    assert decide(cond("NumericLessThan", "k", "3"), {"k": ["1"]}) == DENY
    assert decide(cond("ForEachValue:StringEquals", "k", "a"), {"k": ["a"]}) == DENY


def test_a_failed_condition_is_not_a_deny():
    """Moto 5.2.5 turned a failed condition into an explicit Deny, which overrode other Allows."""
    statements = [cond("StringEquals", "k", "nope"), allow()]
    assert evaluate([policy(*statements)], "s3:GetObject", "arn:aws:s3:::b/k", {"k": ["x"]}) == ALLOW
