"""A deployed stack's outputs -> .deploy/outputs.json, in the local stack's shape (settings.py).

  outputs.py --cdk-outputs FILE [--stack NAME]   from `cdk deploy --outputs-file FILE` (make deploy)
  outputs.py --stack NAME                        from CloudFormation (DescribeStacks), e.g. for a
                                                 stack someone else deployed (make outputs)
"""

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import settings as targets  # noqa: E402

DEFAULT_STACK = "ReadFileStack"

# Stack output -> settings key (infra/lib/read-file-stack.ts declares the outputs).
OUTPUT_KEYS = {
    "Region": "AWS_REGION",
    "AccountId": "ACCOUNT_ID",
    "UserPoolId": "USER_POOL_ID",
    "UserPoolClientId": "USER_POOL_CLIENT_ID",
    "IdentityPoolId": "IDENTITY_POOL_ID",
    "BucketName": "S3_BUCKET",
    "S3Prefix": "S3_PREFIX",
    "ApiId": "API_ID",
    "ApiUrl": "API_URL",
    "AllowedOrigin": "ALLOWED_ORIGIN",
    "UserCheckTtlSeconds": "USER_CHECK_TTL_SECONDS",
    "SessionTable": "SESSION_TABLE",  # only with the shared tier (-c sessionTier=false has none)
    # The managed login and the server-side frontend's app client (infra/lib/managed-login.ts); its
    # secret is never an output (examples/nextjs/README.md says how to read it).
    "OidcDiscoveryUrl": "OIDC_DISCOVERY_URL",
    "ManagedLoginUrl": "MANAGED_LOGIN_URL",
    "WebServerClientId": "WEB_SERVER_CLIENT_ID",
    "WebServerCallbackUrl": "WEB_SERVER_CALLBACK_URL",
    "WebServerLogoutUrl": "WEB_SERVER_LOGOUT_URL",
}

OPTIONAL_OUTPUTS = {"SessionTable"}


def settings_from_outputs(stack_name, outputs):
    """{OutputKey: OutputValue} -> the settings dict; names every output that is missing."""
    missing = sorted(k for k in OUTPUT_KEYS if not outputs.get(k) and k not in OPTIONAL_OUTPUTS)
    if missing:
        raise targets.SettingsError(
            f"stack {stack_name} lacks the outputs {', '.join(missing)}: deploy this version of the stack first (make deploy)")
    settings = {key: str(outputs[output]) for output, key in OUTPUT_KEYS.items() if outputs.get(output)}
    settings["API_URL"] = settings["API_URL"].rstrip("/")  # as in .local/stack.env
    settings["STACK_NAME"] = stack_name
    return settings


def from_cdk_outputs_file(path, stack_name=None):
    """`cdk deploy --outputs-file`: {"<stack>": {"<OutputKey>": "<value>"}}."""
    data = json.loads(Path(path).read_text())
    if stack_name is None:
        if len(data) != 1:
            raise targets.SettingsError(f"{path}: {len(data)} stacks, name one with --stack")
        stack_name = next(iter(data))
    if stack_name not in data:
        raise targets.SettingsError(f"{path}: no stack {stack_name}")
    return settings_from_outputs(stack_name, data[stack_name])


def from_cloudformation(stack_name, cloudformation):
    stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    return settings_from_outputs(stack_name, outputs)


def write(settings, path=targets.DEPLOY_OUTPUTS):
    """Atomically, owner-readable (ids are not secrets, but nobody else needs them)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n")
    temporary.chmod(0o600)
    os.replace(temporary, path)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cdk-outputs", type=Path)
    parser.add_argument("--stack")
    parser.add_argument("--out", type=Path, default=targets.DEPLOY_OUTPUTS)
    args = parser.parse_args(argv)
    try:
        if args.cdk_outputs:
            settings = from_cdk_outputs_file(args.cdk_outputs, args.stack)
        else:
            import boto3
            import botocore.exceptions

            try:
                settings = from_cloudformation(args.stack or DEFAULT_STACK, boto3.client("cloudformation"))
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
                raise targets.SettingsError(f"cannot read stack {args.stack or DEFAULT_STACK}: {error}") from None
    except targets.SettingsError as error:
        print(f"outputs: {error}", file=sys.stderr)
        return 2
    path = write(settings, args.out)
    print(f"outputs: {targets._rel(path)} <- stack {settings['STACK_NAME']} ({settings['AWS_REGION']}): API {settings['API_URL']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
