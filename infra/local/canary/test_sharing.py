"""Sharing (issue 21 §5) with real keys: infra/policies/user-shares.json as the browser's own
identity-pool keys meet it, through boto3. A share is a copy the owner makes inside S3 at
cognito-test-shared/<recipient IdentityId>/<owner IdentityId>/<name>.

Three throw-away users: O (owner), R (recipient), M (a malicious third). Each attack of the issue
is tried with the attacker's own keys; the fixture principal only sets up and cleans up.
"""

import pytest
from support import ENV, PREFIX, auth_result, error_of, make_client, public_client_id, unique

SHARED = f"{PREFIX}-shared"
DENIED = ("AccessDenied", 403)
PASSWORD = "Canary-Sharing-Passw0rd!"
BODY = b"shared by O\n"


class User:
    def __init__(self, name, identity_id, s3):
        self.name, self.id, self.s3 = name, identity_id, s3

    def __repr__(self):  # never the keys
        return f"<{self.name} {self.id}>"


@pytest.fixture(scope="module")
def users(admin, identity, provider):
    """{"O", "R", "M"}: new users of the pool, each with its own IdentityId and identity-pool keys."""
    idp, pool = admin["cognito-idp"], ENV["USER_POOL_ID"]
    made, users = [], {}
    try:
        for label in ("O", "R", "M"):
            name = unique(f"sharing-{label.lower()}")
            idp.admin_create_user(UserPoolId=pool, Username=name, MessageAction="SUPPRESS")
            made.append(name)
            idp.admin_set_user_password(UserPoolId=pool, Username=name, Password=PASSWORD, Permanent=True)
            token = auth_result(idp, pool, public_client_id(), name, PASSWORD)["IdToken"]
            identity_id = identity.get_id(AccountId=ENV["ACCOUNT_ID"], IdentityPoolId=ENV["IDENTITY_POOL_ID"],
                                          Logins={provider: token})["IdentityId"]
            keys = identity.get_credentials_for_identity(IdentityId=identity_id, Logins={provider: token})["Credentials"]
            users[label] = User(label, identity_id, make_client("s3", keys["AccessKeyId"], keys["SecretKey"],
                                                                keys["SessionToken"]))
        yield users
    finally:
        s3 = admin["s3"]
        for user in users.values():
            for prefix in (f"{PREFIX}/{user.id}/", f"{SHARED}/{user.id}/"):
                for item in s3.list_objects_v2(Bucket=ENV["S3_BUCKET"], Prefix=prefix).get("Contents", []):
                    s3.delete_object(Bucket=ENV["S3_BUCKET"], Key=item["Key"])
        for name in made:
            idp.admin_delete_user(UserPoolId=pool, Username=name)


def bucket():
    return ENV["S3_BUCKET"]


def shared_key(recipient, owner, name):
    return f"{SHARED}/{recipient.id}/{owner.id}/{name}"


def stored(admin, key):
    """The bytes under exactly `key` (the fixture principal's view), or None."""
    try:
        return admin["s3"].get_object(Bucket=bucket(), Key=key)["Body"].read()
    except admin["s3"].exceptions.NoSuchKey:
        return None


def listed(user, prefix):
    return [o["Key"] for o in user.s3.list_objects_v2(Bucket=bucket(), Prefix=prefix).get("Contents", [])]


@pytest.fixture
def share(users, admin):
    """O shares a file of its own with R: a CopyObject with O's keys, as the function makes it."""
    o, r = users["O"], users["R"]
    name = unique("shared") + ".txt"
    source = f"{PREFIX}/{o.id}/{name}"
    o.s3.put_object(Bucket=bucket(), Key=source, Body=BODY, ContentType="text/plain")
    key = shared_key(r, o, name)
    o.s3.copy_object(Bucket=bucket(), Key=key, CopySource={"Bucket": bucket(), "Key": source})
    yield key
    for k in (source, key):
        admin["s3"].delete_object(Bucket=bucket(), Key=k)


def test_the_owner_copies_its_file_to_the_recipient_who_reads_and_lists_it(users, share):
    r = users["R"]
    assert r.s3.get_object(Bucket=bucket(), Key=share)["Body"].read() == BODY
    assert share in listed(r, f"{SHARED}/{r.id}/")
    assert share in listed(r, f"{SHARED}/{r.id}/{users['O'].id}/")
    one_level = r.s3.list_objects_v2(Bucket=bucket(), Prefix=f"{SHARED}/{r.id}/", Delimiter="/")
    assert [p["Prefix"] for p in one_level.get("CommonPrefixes", [])] == [f"{SHARED}/{r.id}/{users['O'].id}/"]


@pytest.mark.parametrize("how", ["PutObject", "CopyObject"])
def test_nobody_can_make_a_file_appear_to_come_from_someone_else(users, admin, share, how):
    """M writes into R's folder under O's name: refused, and O's share is untouched."""
    m = users["M"]
    if how == "PutObject":
        attempt = lambda key: m.s3.put_object(Bucket=bucket(), Key=key, Body=b"from M")  # noqa: E731
    else:
        own = f"{PREFIX}/{m.id}/{unique('m')}.txt"
        m.s3.put_object(Bucket=bucket(), Key=own, Body=b"from M")
        attempt = lambda key: m.s3.copy_object(Bucket=bucket(), Key=key,  # noqa: E731
                                               CopySource={"Bucket": bucket(), "Key": own})
    fresh = shared_key(users["R"], users["O"], unique("forged") + ".txt")
    for key in (share, fresh):
        assert error_of(attempt, key=key) == DENIED, key
    assert stored(admin, share) == BODY
    assert stored(admin, fresh) is None


def test_the_recipient_cannot_write_into_its_own_folder_as_the_owner(users, admin, share):
    r = users["R"]
    own = f"{PREFIX}/{r.id}/{unique('r')}.txt"
    r.s3.put_object(Bucket=bucket(), Key=own, Body=b"from R")
    forged = shared_key(r, users["O"], unique("forged") + ".txt")
    assert error_of(r.s3.put_object, Bucket=bucket(), Key=forged, Body=b"from R") == DENIED
    assert error_of(r.s3.copy_object, Bucket=bucket(), Key=share,
                    CopySource={"Bucket": bucket(), "Key": own}) == DENIED
    assert stored(admin, forged) is None and stored(admin, share) == BODY


@pytest.mark.parametrize("who", ["O", "M"])
def test_only_the_recipient_reads_what_is_shared_with_it(users, share, who):
    """Not a third user, and not the owner either (it reads its original in its own folder)."""
    assert error_of(users[who].s3.get_object, Bucket=bucket(), Key=share) == DENIED


def test_the_recipient_lists_only_its_own_folder(users, share):
    r, o, m = users["R"], users["O"], users["M"]
    listed(r, f"{SHARED}/{r.id}/")  # allowed: the refusals below are not a broken setup
    for prefix in (f"{SHARED}/", f"{SHARED}/{o.id}/", f"{SHARED}/{m.id}/", f"{SHARED}/{r.id}", SHARED, "", None,
                   f"{SHARED}/{r.id}-evil/"):
        kwargs = {"Bucket": bucket(), **({"Prefix": prefix} if prefix is not None else {})}
        assert error_of(r.s3.list_objects_v2, **kwargs) == DENIED, prefix
    # Nor does the owner or M list R's folder.
    for user in (o, m):
        assert error_of(user.s3.list_objects_v2, Bucket=bucket(), Prefix=f"{SHARED}/{r.id}/") == DENIED


def test_the_recipient_cannot_delete_a_share(users, admin, share):
    r = users["R"]
    assert error_of(r.s3.delete_object, Bucket=bucket(), Key=share) == DENIED
    batch = r.s3.delete_objects(Bucket=bucket(), Delete={"Objects": [{"Key": share}]})
    assert [(e["Key"], e["Code"]) for e in batch.get("Errors", [])] == [(share, "AccessDenied")]
    assert stored(admin, share) == BODY
    assert error_of(users["M"].s3.delete_object, Bucket=bucket(), Key=share) == DENIED
    assert stored(admin, share) == BODY


def test_the_owner_revokes_and_the_recipient_loses_the_copy(users, admin, share):
    r = users["R"]
    users["O"].s3.delete_object(Bucket=bucket(), Key=share)
    assert stored(admin, share) is None
    # A missing key is 404 only to a caller allowed to list it without an s3:prefix: R's listing is
    # prefix-bound, so R gets 403 (as for a missing file in its own folder).
    assert error_of(r.s3.get_object, Bucket=bucket(), Key=share) == DENIED
    assert share not in listed(r, f"{SHARED}/{r.id}/")


def test_a_slash_inside_the_recipient_segment_lands_under_nobodys_folder(users, admin):
    """AWS's `?` matches any one character but a colon, so M may write `<region>:` + 36 characters
    holding a `/` + `/<M>/x`. Made as close to R's IdentityId as possible, it is still not under
    R's folder (an IdentityId has no `/`): R never sees it."""
    m, r = users["M"], users["R"]
    region, uuid = r.id.split(":")
    assert len(uuid) == 36
    lookalike = f"{region}:{uuid[:28]}/{uuid[29:]}"  # 36 characters, a '/' in the last group
    key = f"{SHARED}/{lookalike}/{m.id}/x"
    m.s3.put_object(Bucket=bucket(), Key=key, Body=b"from M")
    try:
        assert stored(admin, key) == b"from M"
        assert not key.startswith(f"{SHARED}/{r.id}/")
        assert all(m.id not in k for k in listed(r, f"{SHARED}/{r.id}/"))
        assert error_of(r.s3.get_object, Bucket=bucket(), Key=key) == DENIED
    finally:
        admin["s3"].delete_object(Bucket=bucket(), Key=key)


@pytest.mark.parametrize("shape", ["junk owner", "forged owner, M deeper down", "no owner"])
def test_no_key_with_m_deeper_down_enters_a_real_folder(users, admin, shape):
    """What a `*` in place of the fixed-length pattern would let through: M's own IdentityId further
    down a key that sits in R's real folder."""
    m, r, o = users["M"], users["R"], users["O"]
    key = {
        "junk owner": f"{SHARED}/{r.id}/x/{m.id}/y",
        "forged owner, M deeper down": f"{SHARED}/{r.id}/{o.id}/x/{m.id}/y",
        "no owner": f"{SHARED}/{r.id}/{m.id}",
    }[shape]
    try:
        assert error_of(m.s3.put_object, Bucket=bucket(), Key=key, Body=b"from M") == DENIED
        assert stored(admin, key) is None
        assert all(m.id not in k for k in listed(r, f"{SHARED}/{r.id}/"))
    finally:
        admin["s3"].delete_object(Bucket=bucket(), Key=key)  # what a broken policy let in


NOT_PLAIN = {
    "GLACIER class": {"StorageClass": "GLACIER"},
    "SSE-C": {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": b"k" * 32},
    "tags": {"Tagging": "project=canary"},
    "canned ACL": {"ACL": "private"},
    "ACL grant": {"GrantRead": 'uri="http://acs.amazonaws.com/groups/global/AllUsers"'},
}


@pytest.mark.parametrize("what", NOT_PLAIN)
def test_a_share_that_is_not_a_plain_object_is_refused(users, admin, what):
    o, r = users["O"], users["R"]
    source = f"{PREFIX}/{o.id}/{unique('plain')}.txt"
    o.s3.put_object(Bucket=bucket(), Key=source, Body=BODY)
    key = shared_key(r, o, unique("not-plain") + ".txt")
    try:
        o.s3.put_object(Bucket=bucket(), Key=key, Body=BODY)  # plain: allowed (the refusals mean something)
        admin["s3"].delete_object(Bucket=bucket(), Key=key)
        assert error_of(o.s3.put_object, Bucket=bucket(), Key=key, Body=BODY, **NOT_PLAIN[what]) == DENIED
        copy = dict(NOT_PLAIN[what], **({"TaggingDirective": "REPLACE"} if what == "tags" else {}))
        assert error_of(o.s3.copy_object, Bucket=bucket(), Key=key, CopySource={"Bucket": bucket(), "Key": source},
                        **copy) == DENIED
        assert stored(admin, key) is None
    finally:
        for k in (source, key):
            admin["s3"].delete_object(Bucket=bucket(), Key=k)
