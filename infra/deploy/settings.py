"""Where the deploy tools find a stack: a deployment's `.deploy/outputs.json`, or the local stack's
`.local/stack.env` (the same keys, so a tool written for one reads the other).

`.deploy/outputs.json` is written by `make deploy` (outputs.py) from the stack's outputs:

  AWS_REGION, ACCOUNT_ID, USER_POOL_ID, USER_POOL_CLIENT_ID, IDENTITY_POOL_ID, S3_BUCKET, API_ID,
  API_URL, ALLOWED_ORIGIN            as in .local/stack.env (infra/local/README.md)
  S3_PREFIX, USER_CHECK_TTL_SECONDS  the function's settings (the local stack leaves them at the
                                     function's defaults, cognito-test and 60)
  OIDC_DISCOVERY_URL, MANAGED_LOGIN_URL, WEB_SERVER_CLIENT_ID, WEB_SERVER_CALLBACK_URL,
  WEB_SERVER_LOGOUT_URL              the managed login and the server-side frontend's app client (its
                                     secret, WEB_SERVER_CLIENT_SECRET in stack.env, stays in Cognito)
  STACK_NAME                         the CloudFormation stack

It holds no secret: ids, names and URLs only. The deployment's administrator keys are the caller's
own (the default AWS credential chain); the local stack's are its fixture principal's.
"""

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY_DIR = ROOT / ".deploy"
DEPLOY_OUTPUTS = DEPLOY_DIR / "outputs.json"
LOCAL_DIR = ROOT / ".local"
LOCAL_STACK_ENV = LOCAL_DIR / "stack.env"
LOCAL_FIXTURES_ENV = LOCAL_DIR / "fixtures.env"

# The keys every tool may rely on, whichever the target.
REQUIRED = ("AWS_REGION", "ACCOUNT_ID", "USER_POOL_ID", "USER_POOL_CLIENT_ID", "IDENTITY_POOL_ID", "S3_BUCKET", "API_URL")
# The function's defaults (src/config), for a local stack.env that does not set them.
FUNCTION_DEFAULTS = {"S3_PREFIX": "cognito-test", "USER_CHECK_TTL_SECONDS": "60"}
# With the shared session tier (SESSION_TABLE set) the function's own verdicts live 30 s by default.
SHARED_USER_CHECK_TTL_DEFAULT = "30"
# How long a revoking user-pool call may take to reach the shared tier (CloudTrail through
# EventBridge, best effort, a published P99 of about 90 s); SMOKE_EVENT_DELIVERY_SECONDS overrides.
EVENT_DELIVERY_SECONDS = 120


class SettingsError(Exception):
    """A missing or malformed settings file; the message says what to run."""


def read_env_file(path):
    """KEY=VALUE lines, the local stack's format (its one reader, infra/local/stack_client.py)."""
    sys.path.insert(0, str(ROOT / "infra" / "local"))
    from stack_client import read_env

    return read_env(Path(path))


@dataclass
class Target:
    """One stack to talk to: its settings, and how its administrator reaches AWS."""

    kind: str  # "deploy" or "local"
    settings: dict
    source: Path
    admin_keys: dict  # boto3 client keyword arguments for the administrator (empty: default chain)

    @property
    def region(self):
        return self.settings["AWS_REGION"]

    @property
    def endpoint(self):
        """The local stack's endpoint; None on AWS."""
        return self.settings.get("AWS_ENDPOINT_URL") or None

    @property
    def api_url(self):
        return self.settings["API_URL"].rstrip("/")

    @property
    def prefix(self):
        return self.settings.get("S3_PREFIX") or FUNCTION_DEFAULTS["S3_PREFIX"]

    @property
    def user_check_ttl(self):
        default = SHARED_USER_CHECK_TTL_DEFAULT if self.shared_tier else FUNCTION_DEFAULTS["USER_CHECK_TTL_SECONDS"]
        return int(self.settings.get("USER_CHECK_TTL_SECONDS") or default)

    @property
    def shared_tier(self):
        """Whether the function runs the shared session tier (revocations pushed into its table)."""
        return bool(self.settings.get("SESSION_TABLE"))

    @property
    def event_delivery(self):
        """Seconds a revocation event may take to reach the table (0 without the shared tier)."""
        if not self.shared_tier:
            return 0
        return int(os.environ.get("SMOKE_EVENT_DELIVERY_SECONDS") or EVENT_DELIVERY_SECONDS)

    @property
    def client_id(self):
        """The app client the tools sign in with: the public one. A deployment's output names it
        alone; the local stack's USER_POOL_CLIENT_ID lists every client the function accepts
        (comma-separated, as the CDK app sets it on the function), the public one first."""
        return self.settings["USER_POOL_CLIENT_ID"].split(",")[0].strip()

    @property
    def provider(self):
        """The Logins key of the identity pool: the user pool's provider name."""
        return f"cognito-idp.{self.region}.amazonaws.com/{self.settings['USER_POOL_ID']}"

    def sign_in(self, username, password):
        """A user's ID token: AdminInitiateAuth (ADMIN_USER_PASSWORD_AUTH) with the administrator's keys."""
        result = self.client("cognito-idp").admin_initiate_auth(
            UserPoolId=self.settings["USER_POOL_ID"], ClientId=self.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH", AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
        if "AuthenticationResult" not in result:
            raise SettingsError(f"Cognito asks {username} for {result.get('ChallengeName')} first (sign in once in the web page)")
        return result["AuthenticationResult"]["IdToken"]

    def exchange(self, id_token):
        """(IdentityId, that identity's keys) for a user's ID token: GetId, then
        GetCredentialsForIdentity, both unsigned as the SDKs send them."""
        identity = self.client("cognito-identity", signed=False)
        logins = {self.provider: id_token}
        identity_id = identity.get_id(AccountId=self.settings["ACCOUNT_ID"], IdentityPoolId=self.settings["IDENTITY_POOL_ID"],
                                      Logins=logins)["IdentityId"]
        return identity_id, identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)["Credentials"]

    def client(self, service, *, signed=True, **keys):
        """A boto3 client for this target: the administrator's (default), the given keys', or unsigned."""
        import boto3
        import botocore
        from botocore.config import Config

        config = Config(
            s3={"addressing_style": "path"} if self.endpoint else {},
            retries={"total_max_attempts": 3, "mode": "standard"},
            **({} if signed else {"signature_version": botocore.UNSIGNED}),
        )
        credentials = keys or (self.admin_keys if signed else {})
        return boto3.client(service, region_name=self.region, endpoint_url=self.endpoint, config=config, **credentials)


def load(kind="auto", *, outputs=DEPLOY_OUTPUTS, local_env=LOCAL_STACK_ENV, fixtures_env=LOCAL_FIXTURES_ENV):
    """The target: `deploy` (outputs.json), `local` (stack.env), or `auto` (a deployment when
    outputs.json exists, else the local stack)."""
    if kind == "auto":
        kind = "deploy" if Path(outputs).exists() else "local"
    if kind == "deploy":
        return _deployment(Path(outputs))
    if kind == "local":
        return _local(Path(local_env), Path(fixtures_env))
    raise SettingsError(f"unknown target {kind!r}: deploy, local or auto")


def _deployment(path):
    try:
        settings = json.loads(path.read_text())
    except FileNotFoundError:
        raise SettingsError(f"{_rel(path)} is missing: run `make deploy` (or `make outputs STACK_NAME=...` for a stack deployed before)") from None
    except ValueError as error:
        raise SettingsError(f"{_rel(path)} is not JSON ({error}): run `make outputs` again") from None
    if not isinstance(settings, dict) or not all(isinstance(v, str) for v in settings.values()):
        raise SettingsError(f"{_rel(path)}: expected one JSON object of strings")
    _require(settings, path, "run `make outputs` again")
    return Target("deploy", settings, path, {})


def _local(stack_env, fixtures_env):
    settings = read_env_file(stack_env)
    if not settings:
        raise SettingsError(f"{_rel(stack_env)} is missing: start the local stack (`make local-up`)")
    _require(settings, stack_env, "restart the local stack (`make local-down local-up`)")
    fixtures = read_env_file(fixtures_env)
    try:
        keys = {"aws_access_key_id": fixtures["FIXTURE_AWS_ACCESS_KEY_ID"],
                "aws_secret_access_key": fixtures["FIXTURE_AWS_SECRET_ACCESS_KEY"]}
    except KeyError:
        raise SettingsError(f"{_rel(fixtures_env)} has no fixture principal: restart the local stack") from None
    return Target("local", settings, stack_env, keys)


def _require(settings, path, fix):
    missing = [k for k in REQUIRED if not settings.get(k)]
    if missing:
        raise SettingsError(f"{_rel(path)}: {', '.join(missing)} missing: {fix}")


def _rel(path):
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)
