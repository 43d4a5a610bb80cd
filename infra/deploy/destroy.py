"""`make destroy`: delete the deployed stack (.deploy/outputs.json names it), then say what AWS kept.

With the default removal policy (retain) CloudFormation keeps what holds data or is shared: the
user pool (deletion protection on), both buckets, the log groups, and API Gateway's account-level
CloudWatch role. This lists them before deleting the stack and prints the commands that remove
them; it runs none of them (a user pool or bucket deleted by mistake cannot be brought back).
"""

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import settings as targets  # noqa: E402

INFRA = targets.ROOT / "infra"


RETAINED_TYPES = ("AWS::Cognito::UserPool", "AWS::S3::Bucket", "AWS::Logs::LogGroup")


def retained(target, stack):
    """(type, physical id) of what a retain policy keeps, read before the stack goes."""
    cloudformation = target.client("cloudformation")
    found = []
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack):
        for r in page["StackResourceSummaries"]:
            if r["ResourceType"] in RETAINED_TYPES and r.get("PhysicalResourceId"):
                found.append((r["ResourceType"], r["PhysicalResourceId"]))
    return found


def removal_commands(region, resources):
    commands = []
    for kind, name in resources:
        if kind == "AWS::Cognito::UserPool":
            commands.append(f"aws cognito-idp update-user-pool --region {region} --user-pool-id {name} --deletion-protection INACTIVE")
            commands.append(f"aws cognito-idp delete-user-pool --region {region} --user-pool-id {name}")
        elif kind == "AWS::S3::Bucket":
            commands.append(f"# empty s3://{name} first (versioned: the console's Empty deletes every version), then:")
            commands.append(f"aws s3api delete-bucket --region {region} --bucket {name}")
        else:
            commands.append(f"aws logs delete-log-group --region {region} --log-group-name {name}")
    return commands


def main():
    try:
        target = targets.load("deploy")
    except targets.SettingsError as error:
        print(f"destroy: {error}", file=sys.stderr)
        return 2
    stack = target.settings.get("STACK_NAME", "ReadFileStack")
    env = {**os.environ, "READ_FILE_LAMBDA_ASSET": "placeholder", "AWS_REGION": target.region,
           "CDK_DISABLE_CLI_TELEMETRY": "true", "CDK_DISABLE_VERSION_CHECK": "true"}
    try:
        kept = retained(target, stack)
    except Exception as error:  # noqa: BLE001 (the stack may be gone already)
        print(f"destroy: cannot list the stack's resources ({type(error).__name__}); deleting anyway", file=sys.stderr)
        kept = []
    subprocess.run(["make", "--no-print-directory", "-C", str(INFRA), "node_modules/.ready"], check=True)
    done = subprocess.run([str(INFRA / "node_modules" / ".bin" / "cdk"), "destroy", stack, "--force", "--no-notices",
                           "-c", f"stackName={stack}"], cwd=INFRA, env=env)
    if done.returncode != 0:
        return done.returncode
    targets.DEPLOY_OUTPUTS.unlink(missing_ok=True)
    print(f"\ndestroy: stack {stack} deleted. With removalPolicy retain (the default) AWS kept these; "
          "once you are sure, remove what is still there with:")
    for line in removal_commands(target.region, kept):
        print(f"  {line}")
    print("  (and API Gateway's account-level CloudWatch role, shared by every API of the account: see infra/README.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
