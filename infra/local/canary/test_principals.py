"""The Lambda principal's least privilege, and SigV4 checking."""

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from support import data_key, error_of, make_client


def test_lambda_principal_can_check_users(lambda_principal, env):
    user = lambda_principal["cognito-idp"].admin_get_user(UserPoolId=env["USER_POOL_ID"], Username="admin")
    assert user["Username"] == "admin" and user["Enabled"] is True
    code, _ = error_of(lambda_principal["cognito-idp"].admin_get_user, UserPoolId=env["USER_POOL_ID"],
                       Username="nobody")
    assert code == "UserNotFoundException"


def test_lambda_principal_cannot_do_more(lambda_principal, identity_ids, other_pool, env):
    idp = lambda_principal["cognito-idp"]
    assert error_of(idp.admin_delete_user, UserPoolId=env["USER_POOL_ID"],
                    Username="admin")[0] == "AccessDeniedException"  # a JSON error the SDK parsed
    assert error_of(idp.admin_get_user, UserPoolId=other_pool["pool_id"],
                    Username="admin")[0] == "AccessDeniedException"  # scoped to its own pool
    assert error_of(lambda_principal["s3"].get_object, Bucket=env["S3_BUCKET"],
                    Key=data_key(identity_ids["admin"])) == ("AccessDenied", 403)


def test_wrong_secret_key_is_rejected(env):
    s3 = make_client("s3", env["AWS_ACCESS_KEY_ID"], "not-the-secret")
    assert error_of(s3.list_buckets) == ("SignatureDoesNotMatch", 403)
    idp = make_client("cognito-idp", env["AWS_ACCESS_KEY_ID"], "not-the-secret")
    assert error_of(idp.admin_get_user, UserPoolId=env["USER_POOL_ID"],
                    Username="admin")[0] == "InvalidSignatureException"


def test_unknown_access_key_is_rejected(env):
    s3 = make_client("s3", "AKIAUNKNOWNUNKNOWN00", "whatever")
    assert error_of(s3.list_buckets) == ("InvalidAccessKeyId", 403)


def test_wrong_session_token_is_rejected(identity, provider, fresh_token, identity_ids, env):
    credentials = identity.get_credentials_for_identity(
        IdentityId=identity_ids["admin"], Logins={provider: fresh_token()})["Credentials"]
    key = data_key(identity_ids["admin"])
    wrong_token = make_client("s3", credentials["AccessKeyId"], credentials["SecretKey"], "not-the-session-token")
    assert error_of(wrong_token.get_object, Bucket=env["S3_BUCKET"], Key=key)[0] == "InvalidToken"
    wrong_secret = make_client("s3", credentials["AccessKeyId"], "not-the-secret", credentials["SessionToken"])
    assert error_of(wrong_secret.get_object, Bucket=env["S3_BUCKET"], Key=key)[0] == "SignatureDoesNotMatch"
    no_token = make_client("s3", credentials["AccessKeyId"], credentials["SecretKey"])
    assert error_of(no_token.get_object, Bucket=env["S3_BUCKET"], Key=key)[1] == 403


def test_unsigned_requests_are_refused(env):
    def unsigned(service):
        return boto3.client(service, region_name=env["AWS_REGION"], endpoint_url=env["AWS_ENDPOINT_URL"],
                            config=Config(signature_version=UNSIGNED, s3={"addressing_style": "path"},
                                          retries={"total_max_attempts": 1}))

    key = "cognito-test/x/data.txt"
    assert error_of(unsigned("s3").get_object, Bucket=env["S3_BUCKET"], Key=key) == ("AccessDenied", 403)
    assert error_of(unsigned("cognito-idp").admin_get_user, UserPoolId=env["USER_POOL_ID"],
                    Username="admin")[0] == "MissingAuthenticationTokenException"
