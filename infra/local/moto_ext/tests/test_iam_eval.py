"""Unit tests of the extension's IAM evaluator: the condition rules the canary cannot reach
end to end (the canary shows the same evaluator on the real policies, through S3)."""

import json

import pytest

from moto_ext import iam_eval
from moto_ext.iam_eval import ALLOW, DENY, IMPLICIT_DENY, evaluate
from provision import render_policy

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
    return json.loads(render_policy("user-files.json", PARTITION="aws", BUCKET="bucket", PREFIX="cognito-test"))


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


@pytest.mark.parametrize("action", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"])
@pytest.mark.parametrize("key, expected", [
    (f"cognito-test/{SUB}/data.txt", ALLOW),
    (f"cognito-test/{SUB}/a/b.txt", ALLOW),
    (f"cognito-test/{SUB}", IMPLICIT_DENY),  # the bare key, outside the folder
    (f"cognito-test/{SUB}-evil/data.txt", IMPLICIT_DENY),
    ("cognito-test/us-east-1:other/data.txt", IMPLICIT_DENY),
])
def test_objects_under_own_prefix_only(user_files, action, key, expected):
    assert evaluate([user_files], action, f"{BUCKET_ARN}/{key}", identity_context()) == expected


class Request:
    """What iam_eval reads of an S3 request: its query (`_data`) and headers."""

    def __init__(self, headers=(), query=None):
        self._headers, self._data = dict(headers), query or {}


def put(user_files, headers=(), query=None):
    """The decision on a PutObject in the caller's own folder with these request headers."""
    context = identity_context(**iam_eval.s3_condition_keys(iam_eval.s3_headers(Request(headers, query))))
    return evaluate([user_files], "s3:PutObject", f"{BUCKET_ARN}/cognito-test/{SUB}/f.txt", context)


def test_a_plain_put_and_an_explicit_standard_class_are_allowed(user_files):
    assert put(user_files) == ALLOW
    assert put(user_files, [("X-Amz-Storage-Class", "STANDARD"), ("Content-Type", "text/plain")]) == ALLOW


@pytest.mark.parametrize("header, value", [
    ("x-amz-storage-class", "GLACIER"),
    ("x-amz-storage-class", "STANDARD_IA"),
    ("x-amz-storage-class", "standard"),  # StringEquals is case-sensitive
    ("x-amz-server-side-encryption-customer-algorithm", "AES256"),
    ("x-amz-tagging", "project=x"),
    ("x-amz-acl", "private"),
    ("x-amz-acl", "bucket-owner-full-control"),
    ("x-amz-grant-full-control", 'id="abc"'),
    ("x-amz-grant-read", "uri=http://acs.amazonaws.com/groups/global/AllUsers"),
    ("x-amz-grant-read-acp", 'id="abc"'),
    ("x-amz-grant-write", 'id="abc"'),
    ("x-amz-grant-write-acp", 'id="abc"'),
])
def test_a_put_that_is_not_plain_is_refused(user_files, header, value):
    assert put(user_files, [(header.title(), value)]) == IMPLICIT_DENY


def test_x_amz_query_parameters_of_a_presigned_url_count_as_headers(user_files):
    """Whether S3 honours x-amz-* in a presigned URL's query is undocumented: a condition sees them."""
    assert put(user_files, query={"X-Amz-Signature": ["ab"], "X-Amz-Credential": ["c"]}) == ALLOW
    assert put(user_files, query={"x-amz-storage-class": ["GLACIER"]}) == IMPLICIT_DENY
    assert put(user_files, query={"x-amz-acl": "public-read"}) == IMPLICIT_DENY


def test_the_tag_keys_of_x_amz_tagging():
    keys = iam_eval.s3_condition_keys({"x-amz-tagging": "a=1&b%20c=2&d"})
    assert keys["s3:requestobjecttagkeys"] == ["a", "b c", "d"]
    assert iam_eval.s3_condition_keys({"x-amz-storage-class": "GLACIER"}) == {"s3:x-amz-storage-class": ["GLACIER"]}


def test_without_an_identity_the_variable_matches_nothing(user_files):
    """Keys not issued by GetCredentialsForIdentity have no cognito-identity sub."""
    assert evaluate([user_files], "s3:GetObject", f"{BUCKET_ARN}/cognito-test//data.txt", {}) == IMPLICIT_DENY


def test_trust_policy():
    trust = json.loads(render_policy("authenticated-trust.json", IDENTITY_POOL_ID="us-east-1:pool"))
    good = {"cognito-identity.amazonaws.com:aud": ["us-east-1:pool"],
            "cognito-identity.amazonaws.com:amr": ["authenticated", "cognito-idp.us-east-1.amazonaws.com/p"]}
    federated = ("Federated", "cognito-identity.amazonaws.com")
    action = "sts:AssumeRoleWithWebIdentity"
    assert evaluate([trust], action, None, good, federated) == ALLOW
    assert evaluate([trust], action, None, {**good, "cognito-identity.amazonaws.com:aud": ["x"]}, federated) == IMPLICIT_DENY
    assert evaluate([trust], action, None, {**good, "cognito-identity.amazonaws.com:amr": ["unauthenticated"]}, federated) == IMPLICIT_DENY
    assert evaluate([trust], action, None, good, ("Federated", "accounts.google.com")) == IMPLICIT_DENY
    assert evaluate([trust], "sts:AssumeRole", None, good, federated) == IMPLICIT_DENY


# ---------------------------------------------------------------- sharing: user-shares.json
# A share is a copy at cognito-test-shared/<recipient IdentityId>/<owner IdentityId>/<name>. Reads
# and lists: the caller's own recipient folder. Writes and deletes: `us-east-1:` then exactly 36
# characters (`?`: one character, never a colon; a `/` is an ordinary character, as AWS documents),
# then the caller's own IdentityId as the owner segment.

OTHER = "us-east-1:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"  # a recipient (or another owner)
THIRD = "us-east-1:99999999-8888-7777-6666-555555555555"
SHARED = "cognito-test-shared"


@pytest.fixture(scope="module")
def user_shares():
    return json.loads(render_policy("user-shares.json", PARTITION="aws", BUCKET="bucket", PREFIX="cognito-test",
                                    REGION="us-east-1"))


@pytest.mark.parametrize("action", ["s3:PutObject", "s3:DeleteObject"])
@pytest.mark.parametrize("key, expected", [
    (f"{SHARED}/{OTHER}/{SUB}/f.txt", ALLOW),  # a share to OTHER, as oneself
    (f"{SHARED}/{OTHER}/{SUB}/a/b c.txt", ALLOW),
    (f"{SHARED}/{OTHER}/{THIRD}/f.txt", IMPLICIT_DENY),  # as someone else: nobody can forge an owner
    (f"{SHARED}/{OTHER}/{THIRD}/x/{SUB}/y", IMPLICIT_DENY),  # a forged owner with oneself deeper down
    (f"{SHARED}/{OTHER}/x/{SUB}/y", IMPLICIT_DENY),  # junk in a real inbox (what a `*` would let through)
    (f"{SHARED}/{OTHER}/{SUB}", IMPLICIT_DENY),  # the bare owner key, outside the folder
    (f"{SHARED}/{OTHER}/{SUB}-evil/f.txt", IMPLICIT_DENY),
    (f"{SHARED}/{OTHER[:-1]}/{SUB}/f.txt", IMPLICIT_DENY),  # 35 characters after the Region
    (f"{SHARED}/{OTHER}e/{SUB}/f.txt", IMPLICIT_DENY),  # 37
    (f"{SHARED}/eu-west-1:{OTHER.split(':')[1]}/{SUB}/f.txt", IMPLICIT_DENY),  # another Region
    (f"{SHARED}/us-east-1:{OTHER.split(':')[1][:-1]}:/{SUB}/f.txt", IMPLICIT_DENY),  # `?` is never a colon
    (f"{SHARED}/us-east-1-{OTHER.split(':')[1]}/{SUB}/f.txt", IMPLICIT_DENY),  # the Region's colon is literal
    (f"cognito-test/{OTHER}/{SUB}/f.txt", IMPLICIT_DENY),  # not the shared prefix
    (f"{SHARED}-x/{OTHER}/{SUB}/f.txt", IMPLICIT_DENY),
    # AWS's rule: `?` matches a `/` too. Such a key names no real recipient (an IdentityId has no
    # `/`), so it lies under nobody's folder; the owner segment is still the writer's own.
    (f"{SHARED}/us-east-1:aaaaaaaa-bbbb-cccc-dddd-eeee/eeeeeee/{SUB}/x", ALLOW),
])
def test_shares_are_written_and_revoked_only_as_oneself(user_shares, action, key, expected):
    assert evaluate([user_shares], action, f"{BUCKET_ARN}/{key}", identity_context()) == expected


@pytest.mark.parametrize("action, key, expected", [
    ("s3:GetObject", f"{SHARED}/{SUB}/{OTHER}/f.txt", ALLOW),  # shared with me
    ("s3:GetObject", f"{SHARED}/{SUB}/{OTHER}/a/b.txt", ALLOW),
    ("s3:GetObject", f"{SHARED}/{OTHER}/{SUB}/f.txt", IMPLICIT_DENY),  # an owner does not read its copy
    ("s3:GetObject", f"{SHARED}/{OTHER}/{THIRD}/f.txt", IMPLICIT_DENY),
    ("s3:GetObject", f"{SHARED}/{SUB}-evil/{OTHER}/f.txt", IMPLICIT_DENY),
    ("s3:DeleteObject", f"{SHARED}/{SUB}/{OTHER}/f.txt", IMPLICIT_DENY),  # a recipient cannot delete
    ("s3:PutObject", f"{SHARED}/{SUB}/{OTHER}/f.txt", IMPLICIT_DENY),  # nor write into its inbox as OTHER
])
def test_a_recipient_reads_its_own_folder_only(user_shares, action, key, expected):
    assert evaluate([user_shares], action, f"{BUCKET_ARN}/{key}", identity_context()) == expected


@pytest.mark.parametrize("prefix, expected", [
    (f"{SHARED}/{SUB}/", ALLOW),
    (f"{SHARED}/{SUB}/{OTHER}/", ALLOW),
    (f"{SHARED}/{SUB}", IMPLICIT_DENY),
    (f"{SHARED}/{OTHER}/", IMPLICIT_DENY),
    (f"{SHARED}/", IMPLICIT_DENY),
    (f"{SHARED}/{SUB}-evil/", IMPLICIT_DENY),
    (None, IMPLICIT_DENY),
])
def test_a_recipient_lists_its_own_folder_only(user_shares, prefix, expected):
    context = identity_context(**({"s3:prefix": [prefix]} if prefix is not None else {}))
    assert evaluate([user_shares], "s3:ListBucket", BUCKET_ARN, context) == expected


@pytest.mark.parametrize("header, value", [
    ("x-amz-storage-class", "GLACIER"),
    ("x-amz-server-side-encryption-customer-algorithm", "AES256"),
    ("x-amz-tagging", "project=x"),
    ("x-amz-acl", "private"),
    ("x-amz-grant-read", 'id="abc"'),
])
def test_a_share_that_is_not_plain_is_refused(user_shares, header, value):
    def share(headers=()):
        keys = iam_eval.s3_condition_keys(iam_eval.s3_headers(Request(headers)))
        return evaluate([user_shares], "s3:PutObject", f"{BUCKET_ARN}/{SHARED}/{OTHER}/{SUB}/f.txt",
                        identity_context(**keys))

    assert share() == ALLOW
    assert share([("X-Amz-Copy-Source", f"bucket/cognito-test/{SUB}/f.txt")]) == ALLOW
    assert share([(header.title(), value)]) == IMPLICIT_DENY


def test_with_a_star_instead_of_the_fixed_length_pattern_a_real_inbox_takes_junk(user_shares):
    """Why the pattern is `?` x 36: a `*` in the recipient segment also matches `/`, so M could put
    shared/<R>/x/<M>/y into R's folder, an entry whose owner segment is no one. (shared/<R>/<O>/x/<M>/y
    needs the `*` to cross O's colon too: the IAM guide lets only a `*` that ends its segment do that,
    and the fixed-length pattern does not depend on it.)"""
    broken = json.loads(json.dumps(user_shares).replace("????????-????-????-????-????????????", "*"))
    junk = f"{BUCKET_ARN}/{SHARED}/{OTHER}/x/{SUB}/y"
    assert evaluate([broken], "s3:PutObject", junk, identity_context()) == ALLOW
    assert evaluate([user_shares], "s3:PutObject", junk, identity_context()) == IMPLICIT_DENY
    forged = f"{BUCKET_ARN}/{SHARED}/{OTHER}/{THIRD}/x/{SUB}/y"
    assert evaluate([broken], "s3:PutObject", forged, identity_context()) == IMPLICIT_DENY
    assert evaluate([user_shares], "s3:PutObject", forged, identity_context()) == IMPLICIT_DENY


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


# ---------------------------------------------------------------- issue 9, section 6: not more permissive than AWS
# Each rule cites the IAM User Guide page it follows; see also infra/local/README.md.

ID = "us-east-1:11111111-2222-3333-4444-555555555555"  # IdentityIds contain a colon


def resource_decision(pattern, arn, context=None, version="2012-10-17", action="s3:GetObject"):
    document = {"Statement": [{"Effect": "Allow", "Action": action, "Resource": pattern}]}
    if version is not None:
        document["Version"] = version
    return evaluate([document], action, arn, context or {})


# "IAM JSON policy elements: Resource", Using wildcards in resource ARNs: `*` and `?` match within
# one colon-separated segment; a `*` that is the last character of a segment may match past colons.
@pytest.mark.parametrize("pattern, key, expected", [
    ("b/*", f"cognito-test/{ID}/data.txt", ALLOW),  # trailing `*` crosses the colon
    ("b/cognito-test/*", f"cognito-test/{ID}/data.txt", ALLOW),
    ("b/cognito-test/us-east-1*", f"cognito-test/{ID}/data.txt", ALLOW),  # ends its segment
    ("b/cognito-test/*/data.txt", "cognito-test/plain/data.txt", ALLOW),
    ("b/cognito-test/*/data.txt", f"cognito-test/{ID}/data.txt", IMPLICIT_DENY),  # mid-segment `*`
    ("b/cognito-test/*-5555*/data.txt", f"cognito-test/{ID}/data.txt", IMPLICIT_DENY),
    ("b/cognito-test/us-east-1?11111111-2222-3333-4444-555555555555/data.txt",
     f"cognito-test/{ID}/data.txt", IMPLICIT_DENY),  # `?` is not a colon
    ("b/cognito-test/us-east-1?x/data.txt", "cognito-test/us-east-1-x/data.txt", ALLOW),
    ("b/cognito-test/us-east-1:*/data.txt", f"cognito-test/{ID}/data.txt", ALLOW),
    ("b/cognito-test/us-east-1:*/data.txt", f"cognito-test/{ID}:x/data.txt", IMPLICIT_DENY),
    ("b/cognito-test/us-east-1:*:*/data.txt", f"cognito-test/{ID}:x/data.txt", ALLOW),
])
def test_resource_wildcards_stay_in_their_segment(pattern, key, expected):
    assert resource_decision(f"arn:aws:s3:::{pattern}", f"arn:aws:s3:::b/{key}") == expected


@pytest.mark.parametrize("pattern, arn, expected", [
    ("*", f"arn:aws:s3:::b/{ID}/k", ALLOW),
    ("arn:aws:s3:::*", "arn:aws:s3:::b", ALLOW),
    ("arn:aws:s3:*:*:b/k", "arn:aws:s3:::b/k", ALLOW),  # a whole-segment `*` may be empty
    ("arn:aws:s3:::b?k", "arn:aws:s3:::b:k", IMPLICIT_DENY),
])
def test_resource_wildcards_whole_arns(pattern, arn, expected):
    assert resource_decision(pattern, arn) == expected


# The local API Gateway (infra/local/gateway/) asks for execute-api:Invoke on
# arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/<path>: `/` is an ordinary
# character (a `*` spans slashes), `:` separates segments.
API = "arn:aws:execute-api:us-east-1:123456789012:abc123"


@pytest.mark.parametrize("pattern, arn, expected", [
    (f"{API}/*", f"{API}/v1/GET/read-file", ALLOW),
    (f"{API}/v1/GET/read-file", f"{API}/v1/GET/read-file", ALLOW),
    (f"{API}/*/GET/read-file", f"{API}/v1/GET/read-file", ALLOW),
    (f"{API}/v1/*/read-file", f"{API}/v1/GET/read-file", ALLOW),
    (f"{API}/v1/GET/*", f"{API}/v1/GET/a/b/c", ALLOW),
    ("arn:aws:execute-api:us-east-1:*:abc123/v1/GET/read-file", f"{API}/v1/GET/read-file", ALLOW),
    ("arn:aws:execute-api:*:123456789012:abc123/*", f"{API}/v1/GET/read-file", ALLOW),
    (f"{API[:-1]}?/v1/GET/read-file", f"{API}/v1/GET/read-file", ALLOW),
    (f"{API}/v1/POST/*", f"{API}/v1/GET/read-file", IMPLICIT_DENY),
    (f"{API}/v2/*", f"{API}/v1/GET/read-file", IMPLICIT_DENY),
    ("arn:aws:execute-api:us-east-1:123456789012:other/*", f"{API}/v1/GET/read-file", IMPLICIT_DENY),
    (f"{API}/*/GET/read-file", f"{API}/v1:x/GET/read-file", IMPLICIT_DENY),  # mid-segment `*`
    (f"{API}/v1/GET/read-file", f"{API}/v1/GET/read-file/extra", IMPLICIT_DENY),
])
def test_execute_api_invoke_arns(pattern, arn, expected):
    assert resource_decision(pattern, arn, action="execute-api:Invoke") == expected


# "IAM JSON policy elements: Version": without "2012-10-17" (absent = 2008-10-17) `${...}` is
# literal text, not a variable.
OWN = "arn:aws:s3:::b/cognito-test/${cognito-identity.amazonaws.com:sub}/*"


@pytest.mark.parametrize("version", [None, "2008-10-17"])
def test_variables_only_in_version_2012_10_17(version):
    context = identity_context()
    assert resource_decision(OWN, f"arn:aws:s3:::b/cognito-test/{SUB}/k", context, version) == IMPLICIT_DENY
    literal = "arn:aws:s3:::b/cognito-test/${cognito-identity.amazonaws.com:sub}/k"
    assert resource_decision(OWN, literal, context, version) == ALLOW
    statement = cond("StringEquals", "k", "${v}")
    document = {"Statement": [statement], **({"Version": version} if version else {})}
    assert evaluate([document], "s3:GetObject", "arn:aws:s3:::b/k", {"k": ["x"], "v": ["x"]}) == IMPLICIT_DENY
    assert evaluate([document], "s3:GetObject", "arn:aws:s3:::b/k", {"k": ["${v}"], "v": ["x"]}) == ALLOW
    assert resource_decision(OWN, f"arn:aws:s3:::b/cognito-test/{SUB}/k", context) == ALLOW  # control


# "IAM policy elements: Variables and tags": the value comes from the request context; a `*` or
# `?` in it is a character, not a wildcard.
@pytest.mark.parametrize("value, key, expected", [
    ("us-east-1:*", "cognito-test/us-east-1:other/data.txt", IMPLICIT_DENY),
    ("us-east-1:*", "cognito-test/us-east-1:*/data.txt", ALLOW),
    ("us-east-1:?", "cognito-test/us-east-1:x/data.txt", IMPLICIT_DENY),
    ("*", "cognito-test/anything/data.txt", IMPLICIT_DENY),
])
def test_substituted_values_are_literal_in_resources(value, key, expected):
    context = {"cognito-identity.amazonaws.com:sub": [value]}
    assert resource_decision(OWN, f"arn:aws:s3:::b/{key}", context) == expected


def test_substituted_values_are_literal_in_conditions(user_files):
    """s3:prefix is matched against `cognito-test/${sub}/*`: a wildcard inside the substituted sub
    must not widen it to other identities' prefixes."""
    context = {"cognito-identity.amazonaws.com:sub": ["us-east-1:*"], "s3:prefix": ["cognito-test/us-east-1:other/"]}
    assert evaluate([user_files], "s3:ListBucket", BUCKET_ARN, context) == IMPLICIT_DENY
    context["s3:prefix"] = ["cognito-test/us-east-1:*/"]
    assert evaluate([user_files], "s3:ListBucket", BUCKET_ARN, context) == ALLOW
    # a request value is never a pattern either
    assert decide(cond("StringLike", "k", "a"), {"k": ["*"]}) == IMPLICIT_DENY
    assert decide(cond("StringEquals", "k", "${v}"), {"k": ["a"], "v": ["?"]}) == IMPLICIT_DENY


def test_variable_special_characters_and_defaults():
    """${*}, ${?}, ${$} are literal characters; ${key, 'default'} when the key has no value."""
    assert resource_decision("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*") == ALLOW
    assert resource_decision("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/k") == IMPLICIT_DENY
    assert resource_decision("arn:aws:s3:::b/${?}${$}", "arn:aws:s3:::b/?$") == ALLOW
    assert resource_decision("arn:aws:s3:::b/${aws:username, 'no''body'}", "arn:aws:s3:::b/no'body") == ALLOW
    assert resource_decision("arn:aws:s3:::b/${aws:username, 'x'}", "arn:aws:s3:::b/u", {"aws:username": ["u"]}) == ALLOW
    # a multivalued key is not substituted
    amr = {"cognito-identity.amazonaws.com:amr": ["authenticated", "x"]}
    assert resource_decision("arn:aws:s3:::b/${cognito-identity.amazonaws.com:amr}", "arn:aws:s3:::b/x", amr) == IMPLICIT_DENY


# "IAM JSON policy elements: Effect / Action / Resource / Principal": what makes a statement invalid.
INVALID_IDENTITY_STATEMENTS = {
    "effect-lower-case": {"Effect": "allow", "Action": "s3:*", "Resource": "*"},
    "effect-other": {"Effect": "Permit", "Action": "s3:*", "Resource": "*"},
    "effect-missing": {"Action": "s3:*", "Resource": "*"},
    "no-action": {"Effect": "Allow", "Resource": "*"},
    "no-resource": {"Effect": "Allow", "Action": "s3:*"},
    "action-and-not-action": {"Effect": "Allow", "Action": "s3:*", "NotAction": "iam:*", "Resource": "*"},
    "resource-and-not-resource": {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "NotResource": "x"},
    "empty-action-list": {"Effect": "Allow", "Action": [], "Resource": "*"},
    "principal-in-identity-policy": {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"},
    "unknown-element": {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Resources": "*"},
}


@pytest.mark.parametrize("case", sorted(INVALID_IDENTITY_STATEMENTS))
def test_invalid_statement_never_matches_everything(case):
    bad = policy(INVALID_IDENTITY_STATEMENTS[case])
    assert evaluate([bad], "s3:GetObject", "arn:aws:s3:::b/k", {}) == DENY
    assert evaluate([policy(allow()), bad], "s3:GetObject", "arn:aws:s3:::b/k", {}) == DENY
    with pytest.raises(iam_eval.InvalidPolicy):
        iam_eval.validate(bad, "identity")


def test_invalid_documents():
    for document in ({"Version": "2012-10-17"}, {"Version": "2012-10-17", "Statement": []},
                     {"Version": "2020-01-01", "Statement": [allow()]}, {"Statement": [allow()], "Extra": 1}):
        with pytest.raises(iam_eval.InvalidPolicy):
            iam_eval.validate(document)
        assert evaluate([document], "s3:GetObject", "arn:aws:s3:::b/k", {}) == DENY
    iam_eval.validate({"Statement": allow()})  # one statement as an object, no Version: valid


TRUST_ACTION = "sts:AssumeRoleWithWebIdentity"
COGNITO = ("Federated", "cognito-identity.amazonaws.com")


@pytest.mark.parametrize("statement", [
    {"Effect": "Allow", "Action": TRUST_ACTION},  # no Principal
    {"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"}, "Action": TRUST_ACTION,
     "Resource": "*"},
    {"Effect": "Allow", "Principal": {"Web": "cognito-identity.amazonaws.com"}, "Action": TRUST_ACTION},
    {"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"}},  # no Action
])
def test_invalid_trust_statements(statement):
    assert evaluate([policy(statement)], TRUST_ACTION, None, {}, COGNITO) == DENY
    with pytest.raises(iam_eval.InvalidPolicy):
        iam_eval.validate(policy(statement), "trust")


@pytest.mark.parametrize("principal, expected", [
    ({"Federated": "cognito-identity.amazonaws.com"}, ALLOW),
    ({"Federated": ["accounts.google.com", "cognito-identity.amazonaws.com"]}, ALLOW),
    ({"AWS": "cognito-identity.amazonaws.com"}, IMPLICIT_DENY),  # wrong principal type
    ({"Service": "cognito-identity.amazonaws.com"}, IMPLICIT_DENY),
    ({"Federated": "cognito-identity.*"}, IMPLICIT_DENY),  # no partial wildcards in principals
    ({"AWS": "*"}, IMPLICIT_DENY),  # undocumented for web identities: the stricter side
    ({"Federated": "*"}, ALLOW),
    ("*", ALLOW),
])
def test_trust_principal_type(principal, expected):
    statement = {"Effect": "Allow", "Principal": principal, "Action": TRUST_ACTION}
    assert evaluate([policy(statement)], TRUST_ACTION, None, {}, COGNITO) == expected


def test_trust_not_principal():
    statement = {"Effect": "Deny", "NotPrincipal": {"Federated": "cognito-identity.amazonaws.com"},
                 "Action": TRUST_ACTION}
    allow_all = {"Effect": "Allow", "Principal": "*", "Action": TRUST_ACTION}
    assert evaluate([policy(statement, allow_all)], TRUST_ACTION, None, {}, COGNITO) == ALLOW
    assert evaluate([policy(statement, allow_all)], TRUST_ACTION, None, {}, ("Federated", "accounts.google.com")) == DENY


def test_principal_must_be_typed():
    with pytest.raises(TypeError):
        evaluate([policy()], TRUST_ACTION, None, {}, "cognito-identity.amazonaws.com")


def test_not_action_and_not_resource():
    """"IAM JSON policy elements: NotAction / NotResource": the statement applies to everything
    except what is listed, and with Deny it denies everything else."""
    everything_but_secret = {"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::b/secret/*"}
    assert evaluate([policy(everything_but_secret)], "s3:GetObject", "arn:aws:s3:::b/k", {}) == ALLOW
    assert evaluate([policy(everything_but_secret)], "s3:GetObject", "arn:aws:s3:::b/secret/k", {}) == IMPLICIT_DENY
    deny_but_get = {"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"}
    statements = [deny_but_get, allow(action="s3:*")]
    assert evaluate([policy(*statements)], "s3:GetObject", "arn:aws:s3:::b/k", {}) == ALLOW
    assert evaluate([policy(*statements)], "s3:PutObject", "arn:aws:s3:::b/k", {}) == DENY


@pytest.mark.parametrize("pattern, value, expected", [
    ("arn:aws:execute-api:*:123456789012:abc123/*", f"{API}/v1/GET/x", ALLOW),
    ("arn:aws:execute-api:*:999999999999:abc123/*", f"{API}/v1/GET/x", IMPLICIT_DENY),
    ("arn:aws:*:us-east-1:123:x", "arn:aws:s3:us-east-1:us-east-1:123:x", IMPLICIT_DENY),  # per component
    ("arn:aws:s3:::b/*/k", "arn:aws:s3:::b/us-east-1:x/k", ALLOW),  # the 6th component keeps its colons
])
def test_arn_like_compares_components(pattern, value, expected):
    assert decide(cond("ArnLike", "aws:SourceArn", pattern), {"aws:sourcearn": [value]}) == expected
    assert decide(cond("ArnEquals", "aws:SourceArn", pattern), {"aws:sourcearn": [value]}) == expected


def test_arn_condition_on_a_non_arn_denies():
    assert decide(cond("ArnLike", "aws:SourceArn", "*"), {"aws:sourcearn": [API]}) == DENY


@pytest.mark.parametrize("pattern, expected", [
    ("*", ALLOW),
    ("s3:*", ALLOW),
    ("S3:get*", ALLOW),
    ("s3:Get?bject", ALLOW),
    ("*:GetObject", ALLOW),
    ("s3*", IMPLICIT_DENY),  # a wildcard spanning the colon: undocumented, the stricter side
    ("*Object", IMPLICIT_DENY),
    ("s3?GetObject", IMPLICIT_DENY),
])
def test_action_wildcards_stay_on_their_side_of_the_colon(pattern, expected):
    assert decide(allow(action=pattern)) == expected
