"""The deployment's settings file has the local stack's shape, and every tool's reader finds it."""

import json
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import outputs
import settings as targets

CDK_OUTPUTS = {
    "Region": "eu-west-1", "AccountId": "123456789012", "UserPoolId": "eu-west-1_AbC", "UserPoolClientId": "client123",
    "IdentityPoolId": "eu-west-1:0000-1111", "BucketName": "readfilestack-databucket-x", "S3Prefix": "cognito-test",
    "ApiId": "abc123", "ApiUrl": "https://abc123.execute-api.eu-west-1.amazonaws.com/v1/", "AllowedOrigin": "https://app.example.com",
    "UserCheckTtlSeconds": "60", "ReadFileUrl": "https://abc123.execute-api.eu-west-1.amazonaws.com/v1/read-file",
    "UserPoolProviderName": "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC",
    "ManagedLoginUrl": "https://read-file-x.auth.eu-west-1.amazoncognito.com",
    "OidcIssuer": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC",
    "OidcDiscoveryUrl": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC/.well-known/openid-configuration",
    "WebServerClientId": "webclient456", "WebServerCallbackUrl": "https://app.example.com/api/auth/callback/cognito",
    "WebServerLogoutUrl": "https://app.example.com/",
    "SessionTable": "ReadFileStack-SessionTier-x",
}


def test_outputs_become_the_local_stacks_keys():
    s = outputs.settings_from_outputs("ReadFileStack", CDK_OUTPUTS)
    assert s == {
        "AWS_REGION": "eu-west-1", "ACCOUNT_ID": "123456789012", "USER_POOL_ID": "eu-west-1_AbC", "USER_POOL_CLIENT_ID": "client123",
        "IDENTITY_POOL_ID": "eu-west-1:0000-1111", "S3_BUCKET": "readfilestack-databucket-x", "S3_PREFIX": "cognito-test",
        "API_ID": "abc123", "API_URL": "https://abc123.execute-api.eu-west-1.amazonaws.com/v1",
        "ALLOWED_ORIGIN": "https://app.example.com", "USER_CHECK_TTL_SECONDS": "60", "STACK_NAME": "ReadFileStack",
        "OIDC_DISCOVERY_URL": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC/.well-known/openid-configuration",
        "MANAGED_LOGIN_URL": "https://read-file-x.auth.eu-west-1.amazoncognito.com", "WEB_SERVER_CLIENT_ID": "webclient456",
        "WEB_SERVER_CALLBACK_URL": "https://app.example.com/api/auth/callback/cognito", "WEB_SERVER_LOGOUT_URL": "https://app.example.com/",
        "SESSION_TABLE": "ReadFileStack-SessionTier-x",
    }


def test_every_key_the_local_stack_env_has_is_there_except_the_emulators_own():
    """.local/stack.env's keys (infra/local/provision.py writes them) minus the endpoint and the
    Lambda principal's keys, which a deployment does not have, and the confidential client's secret,
    which is never an output."""
    provision = (targets.ROOT / "infra" / "local" / "provision.py").read_text()
    block = provision[provision.index("stack_env = {"):provision.index("fixtures_env = {")]
    local_keys = set(re.findall(r'"([A-Z_]+)":', block))
    assert local_keys, "provision.py's stack_env keys were found"
    deploy_keys = set(outputs.settings_from_outputs("S", CDK_OUTPUTS))
    assert local_keys - deploy_keys == {"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "WEB_SERVER_CLIENT_SECRET"}


def test_the_stack_declares_every_output_the_file_needs():
    lib = targets.ROOT / "infra" / "lib"
    sources = (lib / "read-file-stack.ts").read_text() + (lib / "managed-login.ts").read_text()
    declared = set(re.findall(r"new CfnOutput\((?:this|stack), '([A-Za-z0-9]+)'", sources))
    assert set(outputs.OUTPUT_KEYS) <= declared, set(outputs.OUTPUT_KEYS) - declared


def test_the_session_table_is_optional_and_sets_the_revocation_bound():
    def target(cdk_outputs):
        settings = outputs.settings_from_outputs("S", cdk_outputs)
        settings.pop("USER_CHECK_TTL_SECONDS")  # the function's default applies
        return targets.Target(kind="deploy", settings=settings, source=Path("outputs.json"), admin_keys={})

    with_tier = target(CDK_OUTPUTS)
    assert (with_tier.shared_tier, with_tier.user_check_ttl, with_tier.event_delivery) == (True, 30, 120)
    without = target({k: v for k, v in CDK_OUTPUTS.items() if k != "SessionTable"})
    assert (without.shared_tier, without.user_check_ttl, without.event_delivery) == (False, 60, 0)


def test_missing_outputs_are_named():
    partial = {k: v for k, v in CDK_OUTPUTS.items() if k not in ("ApiId", "UserCheckTtlSeconds")}
    with pytest.raises(targets.SettingsError, match="lacks the outputs ApiId, UserCheckTtlSeconds"):
        outputs.settings_from_outputs("ReadFileStack", partial)


def test_the_script_writes_outputs_json_owner_only_and_settings_load_it(tmp_path):
    cdk_file = tmp_path / "cdk-outputs.json"
    cdk_file.write_text(json.dumps({"ReadFileStack": CDK_OUTPUTS}))
    out = tmp_path / "outputs.json"
    done = subprocess.run([sys.executable, outputs.__file__, "--cdk-outputs", str(cdk_file), "--out", str(out)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    target = targets.load("deploy", outputs=out)
    assert (target.kind, target.region, target.endpoint, target.admin_keys) == ("deploy", "eu-west-1", None, {})
    assert target.api_url == "https://abc123.execute-api.eu-west-1.amazonaws.com/v1"
    assert (target.prefix, target.user_check_ttl) == ("cognito-test", 60)
    assert target.provider == CDK_OUTPUTS["UserPoolProviderName"]
    assert target.client_id == "client123"


def test_auto_prefers_a_deployment_and_falls_back_to_the_local_stack(tmp_path):
    local_env, fixtures = tmp_path / "stack.env", tmp_path / "fixtures.env"
    local_env.write_text("# local\nAWS_REGION=us-east-1\nAWS_ENDPOINT_URL=http://127.0.0.1:5055\nACCOUNT_ID=123456789012\n"
                         "USER_POOL_ID=us-east-1_x\nUSER_POOL_CLIENT_ID=c,confidential\nIDENTITY_POOL_ID=us-east-1:p\nS3_BUCKET=b\n"
                         "API_URL=http://127.0.0.1:5056/v1\n")
    fixtures.write_text("FIXTURE_AWS_ACCESS_KEY_ID=AKIA1\nFIXTURE_AWS_SECRET_ACCESS_KEY=s\n")
    missing = tmp_path / "none.json"
    local = targets.load("auto", outputs=missing, local_env=local_env, fixtures_env=fixtures)
    assert (local.kind, local.endpoint, local.user_check_ttl, local.prefix) == ("local", "http://127.0.0.1:5055", 60, "cognito-test")
    assert local.admin_keys == {"aws_access_key_id": "AKIA1", "aws_secret_access_key": "s"}
    assert local.client_id == "c", "the public client, first of the clients the function accepts"
    deployed = tmp_path / "outputs.json"
    outputs.write(outputs.settings_from_outputs("ReadFileStack", CDK_OUTPUTS), deployed)
    assert targets.load("auto", outputs=deployed, local_env=local_env, fixtures_env=fixtures).kind == "deploy"


def test_a_missing_or_broken_file_says_what_to_run(tmp_path):
    with pytest.raises(targets.SettingsError, match="make deploy"):
        targets.load("deploy", outputs=tmp_path / "absent.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"AWS_REGION": "eu-west-1"}')
    with pytest.raises(targets.SettingsError, match="ACCOUNT_ID, USER_POOL_ID"):
        targets.load("deploy", outputs=broken)
    with pytest.raises(targets.SettingsError, match="make local-up"):
        targets.load("local", local_env=tmp_path / "absent.env", fixtures_env=tmp_path / "absent2.env")


def test_the_web_pages_config_script_reads_a_deployment(tmp_path):
    """examples/web/scripts/config.mjs --deploy: the same file, no Cognito endpoint override."""
    deployed = tmp_path / "outputs.json"
    outputs.write(outputs.settings_from_outputs("ReadFileStack", CDK_OUTPUTS), deployed)
    # A copy of the scripts writes next to itself: ../dist/config.json, and ../dist/index.html from
    # ../src/index.html with the deployment's Content-Security-Policy.
    web = targets.ROOT / "examples" / "web"
    for part in ("scripts/config.mjs", "scripts/csp.mjs", "src/index.html"):
        (tmp_path / part).parent.mkdir(exist_ok=True)
        (tmp_path / part).write_text((web / part).read_text())
    script = tmp_path / "scripts" / "config.mjs"
    done = subprocess.run(["node", str(script), "--deploy", str(deployed)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "dist" / "config.json").read_text()) == {
        "region": "eu-west-1", "userPoolId": "eu-west-1_AbC", "userPoolClientId": "client123",
        "identityPoolId": "eu-west-1:0000-1111", "apiUrl": "https://abc123.execute-api.eu-west-1.amazonaws.com/v1",
    }
    page = (tmp_path / "dist" / "index.html").read_text()
    for origin in ("https://abc123.execute-api.eu-west-1.amazonaws.com", "readfilestack-databucket-x"):
        assert origin in page, origin
    assert "127.0.0.1" not in page and "localhost" not in page
