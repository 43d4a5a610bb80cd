"""Provisioning of the local stack (boto3, venv only); `stack.py up` runs it at every start.

Runs while moto's IAM enforcement is off, then switches it on. Names are fixed; the ids moto
generates (pool ids, subs, hence IdentityIds) change at every start because state is in memory.
"""

import gzip
import json
import os
import urllib.request
from pathlib import Path

import boto3
import botocore
import moto
import stack_client
from botocore.config import Config
from gateway import api_source

REGION = "us-east-1"
NAME = "read-file-local"
BUCKET = "read-file-local"
PREFIX = "cognito-test"
PASSWORDS = {"admin": "Admin-Local-Passw0rd!", "user": "User-Local-Passw0rd!"}  # local only
POLICIES = Path(__file__).resolve().parents[1] / "policies"
# The server-side frontend (examples/nextjs): its origin, Auth.js's callback path, its sign-out page.
WEB_SERVER_ORIGIN = os.environ.get("WEB_SERVER_ORIGIN") or "http://localhost:3001"
WEB_SERVER_CALLBACK_PATH = "/api/auth/callback/cognito"
# The shared session tier's table, as the CDK app creates it (infra/tables/session.json).
SESSION_TABLE = json.loads((Path(__file__).resolve().parents[1] / "tables" / "session.json").read_text())
# While enforcement is off moto accepts any keys; these only have to look like keys.
BOOTSTRAP_KEYS = {"aws_access_key_id": "AKIAPROVISIONING0000", "aws_secret_access_key": "provisioning"}


def render_policy(file_name, **values):
    """infra/policies/<file_name> with every {{NAME}} replaced (see infra/policies/README.md)."""
    text = (POLICIES / file_name).read_text()
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    if "{{" in text:
        raise ValueError(f"{file_name}: placeholder left unreplaced: {text[text.index('{{'):][:40]}")
    json.loads(text)  # fail here, not in IAM, on a broken document
    return text


def client(service, endpoint, **keys):
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=endpoint,
        config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1, "mode": "standard"}),
        **(keys or BOOTSTRAP_KEYS),
    )


def _iam_user_with_policy(iam, user_name, policy_name, document):
    iam.create_user(UserName=user_name)
    iam.put_user_policy(UserName=user_name, PolicyName=policy_name, PolicyDocument=document)
    key = iam.create_access_key(UserName=user_name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def export_signing_key(path):
    """moto's token-signing RSA key (kid "dummy", the same for every pool) as a PKCS#8 PEM."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    resource = Path(moto.__file__).parent / "cognitoidp/resources/jwks-private.json.gz"
    jwk = json.loads(gzip.decompress(resource.read_bytes()))

    def number(name):
        return int.from_bytes(_b64url(jwk[name]), "big")

    n, e, d = number("n"), number("e"), number("d")
    p, q = rsa.rsa_recover_prime_factors(n, e, d)
    key = rsa.RSAPrivateNumbers(
        p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q),
        rsa.RSAPublicNumbers(e, n),
    ).private_key()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.write_bytes(pem)
    path.chmod(0o600)
    return jwk["kid"]


def _b64url(text):
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def bucket_cors_rule(*origins):
    """infra/api/bucket-cors.json as an S3 CORSRule for `origins` (what the CDK app deploys)."""
    rule = json.loads((Path(__file__).resolve().parents[1] / "api" / "bucket-cors.json").read_text())
    return {
        "AllowedOrigins": list(origins),
        "AllowedMethods": rule["allowedMethods"],
        "AllowedHeaders": rule["allowedHeaders"],
        "ExposeHeaders": rule["exposedHeaders"],
        "MaxAgeSeconds": rule["maxAgeSeconds"],
    }


def provision(endpoint, state_dir, gateway_port, login_port, secret):
    """Create everything, switch IAM enforcement on (a control request: `secret` is the stack's);
    returns (stack_env, fixtures_env) dicts."""
    api = api_source.load()
    iam = client("iam", endpoint)
    fixture_key = _iam_user_with_policy(
        iam, f"{NAME}-fixture", "allow-all",
        json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    )
    keys = {"aws_access_key_id": fixture_key[0], "aws_secret_access_key": fixture_key[1]}
    account_id = client("sts", endpoint, **keys).get_caller_identity()["Account"]

    idp = client("cognito-idp", endpoint, **keys)
    user_pool = idp.create_user_pool(PoolName=NAME)["UserPool"]
    pool_id, pool_arn = user_pool["Id"], user_pool["Arn"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=NAME,
        GenerateSecret=False,
        # The flows the CDK app's client allows: SRP (the web page's sign-in; moto_ext/srp.py checks
        # the proof), ADMIN_USER_PASSWORD_AUTH (tests mint tokens with it), refresh tokens.
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        EnableTokenRevocation=True,  # as the CDK app's client: the page's sign-out revokes (RevokeToken)
    )["UserPoolClient"]["ClientId"]
    web_server = web_server_client(idp, pool_id)
    for user, password in PASSWORDS.items():
        idp.admin_create_user(UserPoolId=pool_id, Username=user, MessageAction="SUPPRESS")
        idp.admin_set_user_password(UserPoolId=pool_id, Username=user, Password=password, Permanent=True)

    provider = f"cognito-idp.{REGION}.amazonaws.com/{pool_id}"
    identity = client("cognito-identity", endpoint, **keys)
    identity_pool_id = identity.create_identity_pool(
        IdentityPoolName=NAME.replace("-", "_"),
        AllowUnauthenticatedIdentities=False,
        # Both app clients' tokens are accepted, as one identity per user (the Logins key is the pool).
        CognitoIdentityProviders=[
            {"ProviderName": provider, "ClientId": cid, "ServerSideTokenCheck": True}
            for cid in (client_id, web_server["ClientId"])
        ],
    )["IdentityPoolId"]

    role_arn = iam.create_role(
        RoleName=f"{NAME}-authenticated",
        AssumeRolePolicyDocument=render_policy("authenticated-trust.json", IDENTITY_POOL_ID=identity_pool_id),
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=f"{NAME}-authenticated",
        PolicyName="user-files",
        PolicyDocument=render_policy("user-files.json", PARTITION="aws", BUCKET=BUCKET, PREFIX=PREFIX),
    )
    # Sharing: read what is shared with one, write and revoke one's own shares (issue 21 §5).
    iam.put_role_policy(
        RoleName=f"{NAME}-authenticated",
        PolicyName="user-shares",
        PolicyDocument=render_policy(
            "user-shares.json", PARTITION="aws", BUCKET=BUCKET, PREFIX=PREFIX, REGION=REGION
        ),
    )
    # The grant the gateway checks: execute-api:Invoke on the routes of infra/api/api.json.
    iam.put_role_policy(
        RoleName=f"{NAME}-authenticated",
        PolicyName="invoke-api",
        PolicyDocument=render_policy(
            "invoke-api.json", PARTITION="aws", REGION=REGION, ACCOUNT_ID=account_id,
            API_ID=api_source.LOCAL_API_ID, STAGE=api.stage,
        ),
    )
    identity.set_identity_pool_roles(IdentityPoolId=identity_pool_id, Roles={"authenticated": role_arn})

    lambda_key = _iam_user_with_policy(
        iam, f"{NAME}-lambda", "user-check", render_policy("lambda-user-check.json", USER_POOL_ARN=pool_arn)
    )
    table_name, table_arn = create_session_table(client("dynamodb", endpoint, **keys))
    iam.put_user_policy(UserName=f"{NAME}-lambda", PolicyName="session-table",
                        PolicyDocument=render_policy("lambda-session-table.json", TABLE_ARN=table_arn))
    # The `revocations` function's own principal: what its role is allowed on the table, nothing else.
    revocations_key = _iam_user_with_policy(
        iam, f"{NAME}-revocations", "session-table",
        render_policy("revocations-session-table.json", TABLE_ARN=table_arn),
    )

    s3 = client("s3", endpoint, **keys)
    s3.create_bucket(Bucket=BUCKET)
    # The CDK app's bucket CORS rule (infra/api/bucket-cors.json) for the frontend origins: the web
    # page's (api.json) and the server-side frontend's (examples/nextjs; both run locally at once).
    s3.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={
        "CORSRules": [bucket_cors_rule(api.cors["allowOrigins"][0], WEB_SERVER_ORIGIN)]})
    for user, password in PASSWORDS.items():
        token = id_token(idp, pool_id, client_id, user, password)
        # The real path: the IdentityId is what GetId answers for the user's token.
        identity_id = identity.get_id(
            AccountId=account_id, IdentityPoolId=identity_pool_id, Logins={provider: token}
        )["IdentityId"]
        s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/{identity_id}/data.txt", Body=f"{user}\n".encode())

    signing_key = state_dir / "signing-key.pem"
    kid = export_signing_key(signing_key)

    # IAM enforcement on, for every request from now on.
    # (text/plain: with urllib's default form content type Flask would swallow the body)
    request = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=b"0", method="POST",
                                     headers={"Content-Type": "text/plain", stack_client.SECRET_HEADER: secret})
    with urllib.request.urlopen(request, timeout=5) as response:
        response.read()

    stack_env = {
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": lambda_key[0],
        "AWS_SECRET_ACCESS_KEY": lambda_key[1],
        "ACCOUNT_ID": account_id,
        "USER_POOL_ID": pool_id,
        # Every app client whose tokens the function accepts (comma-separated, as the CDK app sets it).
        "USER_POOL_CLIENT_ID": f"{client_id},{web_server['ClientId']}",
        "IDENTITY_POOL_ID": identity_pool_id,
        "S3_BUCKET": BUCKET,
        "API_ID": api_source.LOCAL_API_ID,
        "API_URL": f"http://127.0.0.1:{gateway_port}/{api.stage}",
        # As the CDK app sets it: the function's answers carry the frontend's CORS origin.
        "ALLOWED_ORIGIN": api.cors["allowOrigins"][0],
        # Managed login (managed_login/): the discovery document (at the pool's issuer path on this
        # port, as Cognito serves it at its issuer), the domain, the server-side frontend's client.
        "OIDC_DISCOVERY_URL": f"{endpoint}/{pool_id}/.well-known/openid-configuration",
        "MANAGED_LOGIN_URL": f"http://127.0.0.1:{login_port}",
        "WEB_SERVER_CLIENT_ID": web_server["ClientId"],
        "WEB_SERVER_CLIENT_SECRET": web_server["ClientSecret"],
        "WEB_SERVER_CALLBACK_URL": web_server["CallbackURLs"][0],
        "WEB_SERVER_LOGOUT_URL": web_server["LogoutURLs"][0],
        # The shared session tier on, as the CDK app deploys it (tests opt in or out per app).
        "SESSION_TABLE": table_name,
    }
    fixtures_env = {
        "FIXTURE_AWS_ACCESS_KEY_ID": fixture_key[0],
        "FIXTURE_AWS_SECRET_ACCESS_KEY": fixture_key[1],
        "ADMIN_PASSWORD": PASSWORDS["admin"],
        "USER_PASSWORD": PASSWORDS["user"],
        "SIGNING_KEY_FILE": str(signing_key),
        "SIGNING_KEY_KID": kid,
        "REVOCATIONS_AWS_ACCESS_KEY_ID": revocations_key[0],
        "REVOCATIONS_AWS_SECRET_ACCESS_KEY": revocations_key[1],
    }
    return stack_env, fixtures_env


def web_server_client(idp, pool_id):
    """The confidential app client of the server-side frontend (examples/nextjs), as the CDK app
    creates it: a secret, managed login with the code flow, Auth.js's callback and the sign-out
    URL; ADMIN_USER_PASSWORD_AUTH (with SECRET_HASH) for server-side sign-in, refresh tokens."""
    idp.create_user_pool_domain(UserPoolId=pool_id, Domain=NAME)
    return idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=f"{NAME}-web-server",
        GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email", "profile"],
        SupportedIdentityProviders=["COGNITO"],
        CallbackURLs=[WEB_SERVER_ORIGIN + WEB_SERVER_CALLBACK_PATH],
        LogoutURLs=[WEB_SERVER_ORIGIN + "/"],
        PreventUserExistenceErrors="ENABLED",
        EnableTokenRevocation=True,
    )["UserPoolClient"]


def create_session_table(dynamodb):
    """The shared session tier's table from infra/tables/session.json: (name, ARN)."""
    spec, name = SESSION_TABLE, SESSION_TABLE["localTableName"]
    keys = [(spec["partitionKey"], "HASH"), (spec["sortKey"], "RANGE")]
    table = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": key["name"], "KeyType": kind} for key, kind in keys],
        AttributeDefinitions=[{"AttributeName": key["name"], "AttributeType": key["type"]} for key, _ in keys],
        BillingMode=spec["billingMode"],
    )["TableDescription"]
    # Moto stores the setting and never deletes expired items (AWS does, lazily): the function
    # checks expiry itself either way.
    dynamodb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec["timeToLiveAttribute"]}
    )
    return name, table["TableArn"]


def id_token(idp, pool_id, client_id, user, password):
    result = idp.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user, "PASSWORD": password},
    )
    return result["AuthenticationResult"]["IdToken"]


def fresh_token(stack_env, fixtures_env, user):
    """A new ID token for a provisioned user, minted by the fixture principal."""
    password = {"admin": fixtures_env["ADMIN_PASSWORD"], "user": fixtures_env["USER_PASSWORD"]}.get(user)
    if password is None:
        raise KeyError(user)
    idp = client(
        "cognito-idp",
        stack_env["AWS_ENDPOINT_URL"],
        aws_access_key_id=fixtures_env["FIXTURE_AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=fixtures_env["FIXTURE_AWS_SECRET_ACCESS_KEY"],
    )
    client_id = stack_env["USER_POOL_CLIENT_ID"].split(",")[0]  # the public client
    return id_token(idp, stack_env["USER_POOL_ID"], client_id, user, password)


def user_credentials(stack_env, fixtures_env, user):
    """What a signed-in frontend holds for `user`: its ID token, its IdentityId and that identity's
    own temporary keys (GetId, then GetCredentialsForIdentity, both unsigned as the SDKs send them)."""
    token = fresh_token(stack_env, fixtures_env, user)
    region = stack_env["AWS_REGION"]
    identity = boto3.client(
        "cognito-identity", region_name=region, endpoint_url=stack_env["AWS_ENDPOINT_URL"],
        config=Config(signature_version=botocore.UNSIGNED, retries={"total_max_attempts": 1, "mode": "standard"}),
    )
    logins = {f"cognito-idp.{region}.amazonaws.com/{stack_env['USER_POOL_ID']}": token}
    identity_id = identity.get_id(
        AccountId=stack_env["ACCOUNT_ID"], IdentityPoolId=stack_env["IDENTITY_POOL_ID"], Logins=logins
    )["IdentityId"]
    keys = identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)["Credentials"]
    return {
        "ID_TOKEN": token,
        "AWS_ACCESS_KEY_ID": keys["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": keys["SecretKey"],
        "AWS_SESSION_TOKEN": keys["SessionToken"],
        "IDENTITY_ID": identity_id,
    }
