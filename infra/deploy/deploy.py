"""`make deploy`: preflight, the arm64 build, `cdk deploy`, and .deploy/outputs.json.

Context for the CDK app comes from these environment variables (make passes its own variables of
the same names), and from CONTEXT, space-separated `name=value` pairs for any other setting of
infra/README.md's table:

  STACK_NAME            stackName           (default ReadFileStack)
  FRONTEND_ORIGIN       frontendOrigin      the web page's origin, e.g. https://app.example.com
  REMOVAL_POLICY        removalPolicy       retain (default) or destroy
  USER_CHECK_TTL        userCheckTtl        seconds
  LOG_READERS           logReaders          comma-separated principal ARNs
  GITHUB_REPO           githubRepo          owner/name: create or keep the GitHub deploy role
  GITHUB_ENVIRONMENT    githubEnvironment
  GITHUB_OIDC_PROVIDER  githubOidcProvider  the account's existing provider ARN

Steps: preflight.py (exit 2 with every problem found); `cargo lambda build --release --arm64`
into .deploy/lambda; `npm ci` in infra/ when needed; `cdk deploy` of that binary
(READ_FILE_LAMBDA_ASSET) with the context; the outputs into .deploy/outputs.json (outputs.py).
"""

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import outputs  # noqa: E402
import preflight  # noqa: E402
from settings import DEPLOY_DIR, ROOT  # noqa: E402

INFRA = ROOT / "infra"
LAMBDA_DIR = DEPLOY_DIR / "lambda"
CDK_OUTPUTS = DEPLOY_DIR / "cdk-outputs.json"

ENV_CONTEXT = {
    "STACK_NAME": "stackName",
    "FRONTEND_ORIGIN": "frontendOrigin",
    "REMOVAL_POLICY": "removalPolicy",
    "USER_CHECK_TTL": "userCheckTtl",
    "LOG_READERS": "logReaders",
    "GITHUB_REPO": "githubRepo",
    "GITHUB_ENVIRONMENT": "githubEnvironment",
    "GITHUB_OIDC_PROVIDER": "githubOidcProvider",
}


class UsageError(Exception):
    pass


def context_from(env):
    """The `-c name=value` pairs for `cdk deploy`, from ENV_CONTEXT's variables and CONTEXT."""
    context = {}
    for variable, name in ENV_CONTEXT.items():
        value = env.get(variable, "").strip()
        if value:
            context[name] = value
    for pair in shlex.split(env.get("CONTEXT", "")):
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"CONTEXT: expected name=value pairs, got {pair!r}")
        if name.startswith("aws:"):
            raise UsageError(f"CONTEXT: {name} is reserved by the CDK")
        context[name] = value
    return context


def cdk_json_context():
    return json.loads((INFRA / "cdk.json").read_text()).get("context", {})


def cdk_deploy_command(stack, context):
    command = [str(INFRA / "node_modules" / ".bin" / "cdk"), "deploy", stack, "--no-notices", "--no-version-reporting",
               "--require-approval", "never", "--outputs-file", str(CDK_OUTPUTS)]
    for name, value in context.items():
        command += ["-c", f"{name}={value}"]
    return command


def step(message):
    print(f"\n==> deploy: {message}", flush=True)


def main(env=None):
    env = dict(os.environ if env is None else env)
    started = time.monotonic()
    try:
        context = context_from(env)
    except UsageError as error:
        print(f"deploy: {error}", file=sys.stderr)
        return 2
    stack = context.get("stackName", outputs.DEFAULT_STACK)
    github_repo = context.get("githubRepo") or cdk_json_context().get("githubRepo") or ""

    step("preflight")
    args = preflight.parser().parse_args(["--stack", stack, "--github-repo", github_repo,
                                          "--qualifier", context.get("cdkQualifier", preflight.DEFAULT_QUALIFIER)]
                                         + (["--remove-github-role"] if env.get("REMOVE_GITHUB_ROLE") == "1" else []))
    if preflight.run(args, env) != 0:
        return 2

    step("build the arm64 function (cargo lambda build --release --arm64)")
    subprocess.run(["cargo", "lambda", "build", "--release", "--arm64", "--locked", "--bin", "read-file",
                    "--lambda-dir", str(LAMBDA_DIR)], cwd=ROOT, env=env, check=True)
    binary = LAMBDA_DIR / "read-file" / "bootstrap"
    print(f"deploy: {binary.relative_to(ROOT)}: {binary.stat().st_size:,} bytes")

    step("CDK app dependencies")
    subprocess.run(["make", "--no-print-directory", "-C", str(INFRA), "node_modules/.ready"], env=env, check=True)

    step(f"cdk deploy {stack}" + "".join(f" -c {k}={v}" for k, v in context.items()))
    CDK_OUTPUTS.unlink(missing_ok=True)
    cdk_env = {**env, "READ_FILE_LAMBDA_ASSET": str(binary.parent), "CDK_DISABLE_CLI_TELEMETRY": "true",
               "CDK_DISABLE_VERSION_CHECK": "true"}
    subprocess.run(cdk_deploy_command(stack, context), cwd=INFRA, env=cdk_env, check=True)

    step("stack outputs -> .deploy/outputs.json")
    code = outputs.main(["--cdk-outputs", str(CDK_OUTPUTS), "--stack", stack])
    if code == 0:
        print(f"\ndeploy: done in {time.monotonic() - started:.0f} s; check it with `make smoke`")
    return code


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as error:
        print(f"deploy: `{shlex.join(str(a) for a in error.cmd[:4])} ...` failed (exit {error.returncode})", file=sys.stderr)
        sys.exit(1)
