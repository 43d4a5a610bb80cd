"""`make deploy`'s first step: the usual first-deploy problems, each with the way out, before any
build or AWS change. Every problem is reported (not only the first); exit 2 when there is one.

  preflight.py [--stack NAME] [--qualifier Q] [--github-repo OWNER/NAME] [--skip-tools] [--skip-aws]

Checks, in order: the build tools (Node.js >= 20.6 and npm for the CDK app; cargo, cargo-lambda and
zig for the Docker-free arm64 build); AWS credentials and a default Region (found locally, no call);
then, with both, the credentials work (sts:GetCallerIdentity), the account and Region are
bootstrapped for the CDK (the bootstrap version parameter), and a GitHub deploy role the stack
already has is not removed by a deploy that does not name its repository.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass

MIN_NODE = (20, 6)
DEFAULT_QUALIFIER = "hnb659fds"


@dataclass
class Problem:
    what: str
    fix: str

    def __str__(self):
        return f"deploy: {self.what}\n  fix: {self.fix}"


def _run(command, env):
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def check_tools(env=None):
    """The build tools on PATH (of `env`, default this process's environment)."""
    env = dict(os.environ if env is None else env)
    path = env.get("PATH", "")
    which = lambda name: shutil.which(name, path=path)  # noqa: E731
    problems = []

    node = which("node")
    version = _run([node, "--version"], env) if node else None
    found = re.match(r"v(\d+)\.(\d+)", version or "")
    if not node:
        problems.append(Problem("node is not on PATH (the CDK app runs on Node.js)",
                                f"install Node.js {MIN_NODE[0]}.{MIN_NODE[1]} or later (https://nodejs.org)"))
    elif not found or (int(found[1]), int(found[2])) < MIN_NODE:
        problems.append(Problem(f"node {version or '(version unknown)'} is too old for the CDK app",
                                f"install Node.js {MIN_NODE[0]}.{MIN_NODE[1]} or later"))
    if not which("npm"):
        problems.append(Problem("npm is not on PATH", "install npm with Node.js"))
    if not which("cargo"):
        problems.append(Problem("cargo is not on PATH (the function is Rust)", "install Rust with rustup (https://rustup.rs)"))
    if not which("cargo-lambda"):
        problems.append(Problem("cargo-lambda is not on PATH (it builds the arm64 function without Docker)",
                                "run `make venv` (it installs cargo-lambda and zig into .local/venv; make deploy puts it on PATH)"))
    python = which("python3")
    if not which("zig") and not (python and _run([python, "-m", "ziglang", "version"], env)):
        problems.append(Problem("zig is not on PATH, nor the ziglang Python package (cargo-lambda cross-compiles with it)",
                                "run `make venv` (it installs ziglang into .local/venv)"))
    return problems


def check_credentials_and_region(session):
    """Credentials and a Region, as the AWS SDKs and the CDK CLI find them; no network."""
    problems = []
    if session.get_credentials() is None:
        problems.append(Problem(
            "no AWS credentials found (environment, AWS_PROFILE, ~/.aws, SSO, or a role)",
            "run `aws configure` or `aws sso login --profile NAME` and export AWS_PROFILE=NAME; "
            "in GitHub Actions, the deploy role (aws-actions/configure-aws-credentials)"))
    if not session.region_name:
        problems.append(Problem(
            "no default AWS Region",
            "export AWS_REGION=eu-west-1 (your Region), or `aws configure set region eu-west-1`"))
    return problems


def check_account(session, qualifier=DEFAULT_QUALIFIER, stack=None, github_repo=None, allow_role_removal=False):
    """With credentials and a Region: they work, the CDK is bootstrapped there, and a deploy does
    not silently remove the stack's GitHub deploy role. Returns (problems, account or None)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        account = session.client("sts").get_caller_identity()["Account"]
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        return [Problem(f"the AWS credentials are refused ({code})",
                        "sign in again (expired session?) or check the keys: `aws sts get-caller-identity`")], None
    except BotoCoreError as error:
        return [Problem(f"cannot reach AWS STS ({type(error).__name__})", "check the network and the Region")], None

    region = session.region_name
    problems = []
    parameter = f"/cdk-bootstrap/{qualifier}/version"
    try:
        session.client("ssm").get_parameter(Name=parameter)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "ParameterNotFound":
            problems.append(Problem(
                f"account {account} is not bootstrapped for the CDK in {region} (no SSM parameter {parameter})",
                f"run `make bootstrap` once (cdk bootstrap aws://{account}/{region}), as an administrator"))
        else:
            problems.append(Problem(f"cannot read the CDK bootstrap version {parameter} ({code})",
                                    "bootstrap the account (`make bootstrap`) or allow ssm:GetParameter on it"))
    except BotoCoreError as error:
        problems.append(Problem(f"cannot reach AWS SSM ({type(error).__name__})", "check the network and the Region"))

    if stack and not github_repo and not allow_role_removal:
        deployed = _deployed_github_repo(session, stack)
        if deployed is not None:
            problems.append(Problem(
                f"stack {stack} has a GitHub deploy role for {deployed}; this deploy names none and would delete it",
                f"pass GITHUB_REPO={deployed.split(':')[0]} GITHUB_ENVIRONMENT={deployed.split(':')[1]} "
                "(or put githubRepo in infra/cdk.json's context), or REMOVE_GITHUB_ROLE=1 to delete it on purpose"))
    return problems, account


def _deployed_github_repo(session, stack):
    """`owner/name:environment` of the deployed stack's deploy role, or None."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        stacks = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    except (ClientError, BotoCoreError):
        return None  # not deployed yet (or not readable): nothing to protect
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    return outputs.get("GithubDeployRepository")


def run(args, env=None, session=None):
    problems = [] if args.skip_tools else check_tools(env)
    if not args.skip_aws:
        if session is None:
            import boto3

            session = boto3.Session()
        found = check_credentials_and_region(session)
        problems += found
        if not found:
            more, account = check_account(session, args.qualifier, args.stack, args.github_repo.strip() or None,
                                          allow_role_removal=args.remove_github_role)
            problems += more
            if not more:
                print(f"preflight: account {account}, Region {session.region_name}: credentials work, CDK bootstrapped")
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print("preflight: ok")
    return 2 if problems else 0


def parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stack")
    p.add_argument("--qualifier", default=DEFAULT_QUALIFIER)
    p.add_argument("--github-repo", default=os.environ.get("GITHUB_REPO", ""))
    p.add_argument("--remove-github-role", action="store_true")
    p.add_argument("--skip-tools", action="store_true")
    p.add_argument("--skip-aws", action="store_true")
    return p


if __name__ == "__main__":
    sys.exit(run(parser().parse_args()))
