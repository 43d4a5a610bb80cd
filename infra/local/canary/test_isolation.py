"""Each user's keys reach that user's own objects and nothing else (the article's verification)."""

import pytest
from support import PREFIX, data_key, error_of, render_policy

OTHER = {"admin": "user", "user": "admin"}


@pytest.mark.parametrize("user", ["admin", "user"])
def test_user_reads_own_data(user, user_s3, identity_ids, env):
    body = user_s3[user].get_object(Bucket=env["S3_BUCKET"], Key=data_key(identity_ids[user]))["Body"].read()
    assert body.decode().strip() == user


@pytest.mark.parametrize("user", ["admin", "user"])
def test_user_is_denied_the_other_users_data(user, user_s3, identity_ids, env):
    key = data_key(identity_ids[OTHER[user]])
    assert error_of(user_s3[user].get_object, Bucket=env["S3_BUCKET"], Key=key) == ("AccessDenied", 403)


def test_list_own_prefix_only(user_s3, identity_ids, env):
    s3, own = user_s3["admin"], identity_ids["admin"]
    listed = s3.list_objects_v2(Bucket=env["S3_BUCKET"], Prefix=f"{PREFIX}/{own}/")
    assert [o["Key"] for o in listed["Contents"]] == [data_key(own)]
    for prefix in (f"{PREFIX}/", f"{PREFIX}/{identity_ids['user']}/", None):
        kwargs = {"Bucket": env["S3_BUCKET"], **({"Prefix": prefix} if prefix is not None else {})}
        assert error_of(s3.list_objects_v2, **kwargs) == ("AccessDenied", 403), prefix


def test_lookalike_prefix_is_denied(user_s3, identity_ids, admin, env):
    """`<id>-evil/` starts with `<id>`: only the `/` in the policy keeps it out."""
    bucket, evil = env["S3_BUCKET"], f"{PREFIX}/{identity_ids['admin']}-evil/"
    admin["s3"].put_object(Bucket=bucket, Key=f"{evil}data.txt", Body=b"evil\n")
    try:
        s3 = user_s3["admin"]
        assert error_of(s3.get_object, Bucket=bucket, Key=f"{evil}data.txt") == ("AccessDenied", 403)
        assert error_of(s3.list_objects_v2, Bucket=bucket, Prefix=evil) == ("AccessDenied", 403)
    finally:
        admin["s3"].delete_object(Bucket=bucket, Key=f"{evil}data.txt")


def test_missing_own_key_is_access_denied_unless_caller_may_list(user_s3, identity_ids, admin, env):
    """AWS answers 404 only to callers allowed to s3:ListBucket; the role's ListBucket needs an
    s3:prefix, which a GetObject request lacks, so the user sees 403."""
    key = data_key(identity_ids["admin"], "missing.txt")
    assert error_of(user_s3["admin"].get_object, Bucket=env["S3_BUCKET"], Key=key) == ("AccessDenied", 403)
    assert error_of(admin["s3"].get_object, Bucket=env["S3_BUCKET"], Key=key) == ("NoSuchKey", 404)


def test_user_may_write_and_delete_own_objects_only(user_s3, identity_ids, admin, env):
    """The file API writes and deletes with the user's keys: own folder yes, anyone else's no."""
    s3, bucket = user_s3["user"], env["S3_BUCKET"]
    own = data_key(identity_ids["user"], "scratch.txt")
    s3.put_object(Bucket=bucket, Key=own, Body=b"x")
    s3.delete_object(Bucket=bucket, Key=own)
    other = data_key(identity_ids["admin"], "scratch.txt")
    assert error_of(s3.put_object, Bucket=bucket, Key=other, Body=b"x") == ("AccessDenied", 403)
    admin["s3"].put_object(Bucket=bucket, Key=other, Body=b"x")
    try:
        assert error_of(s3.delete_object, Bucket=bucket, Key=other) == ("AccessDenied", 403)
    finally:
        admin["s3"].delete_object(Bucket=bucket, Key=other)


def test_policies_in_the_stack_are_the_policy_source(admin, env):
    """Half of "local policy == deployed policy": what IAM holds here is infra/policies/, rendered."""
    roles = admin["cognito-identity"].get_identity_pool_roles(IdentityPoolId=env["IDENTITY_POOL_ID"])["Roles"]
    role_name = roles["authenticated"].rsplit("/", 1)[1]
    iam = admin["iam"]
    assert sorted(iam.list_role_policies(RoleName=role_name)["PolicyNames"]) == ["invoke-api", "user-files", "user-shares"]
    stored = iam.get_role_policy(RoleName=role_name, PolicyName="user-files")["PolicyDocument"]
    assert stored == render_policy("user-files.json", PARTITION="aws", BUCKET=env["S3_BUCKET"], PREFIX=PREFIX)
    stored = iam.get_role_policy(RoleName=role_name, PolicyName="user-shares")["PolicyDocument"]
    assert stored == render_policy("user-shares.json", PARTITION="aws", BUCKET=env["S3_BUCKET"], PREFIX=PREFIX,
                                   REGION=env["AWS_REGION"])
    # The API gateway's grant: execute-api:Invoke on the stage's routes (stage from API_URL).
    stored = iam.get_role_policy(RoleName=role_name, PolicyName="invoke-api")["PolicyDocument"]
    assert stored == render_policy("invoke-api.json", PARTITION="aws", REGION=env["AWS_REGION"], ACCOUNT_ID=env["ACCOUNT_ID"],
                                   API_ID=env["API_ID"], STAGE=env["API_URL"].rsplit("/", 1)[1])
    trust = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    assert trust == render_policy("authenticated-trust.json", IDENTITY_POOL_ID=env["IDENTITY_POOL_ID"])

    # The Lambda principal: the IAM user owning the access key in stack.env.
    users = [u["UserName"] for u in iam.list_users()["Users"]
             if any(k["AccessKeyId"] == env["AWS_ACCESS_KEY_ID"]
                    for k in iam.list_access_keys(UserName=u["UserName"])["AccessKeyMetadata"])]
    (lambda_user,) = users
    assert sorted(iam.list_user_policies(UserName=lambda_user)["PolicyNames"]) == ["session-table", "user-check"]
    stored = iam.get_user_policy(UserName=lambda_user, PolicyName="user-check")["PolicyDocument"]
    pool_arn = f"arn:aws:cognito-idp:{env['AWS_REGION']}:{env['ACCOUNT_ID']}:userpool/{env['USER_POOL_ID']}"
    assert stored == render_policy("lambda-user-check.json", USER_POOL_ARN=pool_arn)
    # The shared session tier's table: the Lambda's grant and the revocations function's.
    table_arn = f"arn:aws:dynamodb:{env['AWS_REGION']}:{env['ACCOUNT_ID']}:table/{env['SESSION_TABLE']}"
    stored = iam.get_user_policy(UserName=lambda_user, PolicyName="session-table")["PolicyDocument"]
    assert stored == render_policy("lambda-session-table.json", TABLE_ARN=table_arn)
    (revocations_user,) = [u["UserName"] for u in iam.list_users()["Users"]
                           if any(k["AccessKeyId"] == env["REVOCATIONS_AWS_ACCESS_KEY_ID"]
                                  for k in iam.list_access_keys(UserName=u["UserName"])["AccessKeyMetadata"])]
    assert iam.list_user_policies(UserName=revocations_user)["PolicyNames"] == ["session-table"]
    stored = iam.get_user_policy(UserName=revocations_user, PolicyName="session-table")["PolicyDocument"]
    assert stored == render_policy("revocations-session-table.json", TABLE_ARN=table_arn)


def test_an_unknown_continuation_token_is_invalid_argument(user_s3, identity_ids, env):
    """S3 answers 400 InvalidArgument to a continuation token it never issued (moto: 500)."""
    own = f"cognito-test/{identity_ids['user']}/"
    call = dict(Bucket=env["S3_BUCKET"], Prefix=own, ContinuationToken="bm90LWEtdG9rZW4")
    assert error_of(user_s3["user"].list_objects_v2, **call) == ("InvalidArgument", 400)


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"])
def test_a_put_body_is_stored_as_sent_whatever_its_type(user_s3, identity_ids, env, content_type):
    """S3 stores the bytes whatever the Content-Type (moto parsed form types as forms: empty object)."""
    s3, bucket = user_s3["user"], env["S3_BUCKET"]
    key = data_key(identity_ids["user"], "form-typed.bin")
    s3.put_object(Bucket=bucket, Key=key, Body=b"a=1&b=2 not a form", ContentType=content_type)
    try:
        stored = s3.get_object(Bucket=bucket, Key=key)
        assert (stored["Body"].read(), stored["ContentType"]) == (b"a=1&b=2 not a form", content_type)
    finally:
        s3.delete_object(Bucket=bucket, Key=key)
