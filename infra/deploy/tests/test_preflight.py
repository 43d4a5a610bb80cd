"""make deploy's preflight: each usual first-deploy problem is found and named with its fix,
without AWS (an empty environment, stub tools on PATH, botocore's Stubber for the AWS answers)."""

import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

import preflight

SCRIPT = Path(preflight.__file__)
FAKE_SECRET = "fake/Secret+Key/0123456789abcdefghijklmnopqrs"


def empty_env(tmp_path, **extra):
    """No AWS settings at all: no variables, no config files, no instance metadata."""
    return {
        "PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        **extra,
    }


def run(env, *args):
    return subprocess.run([sys.executable, str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60)


def test_an_empty_environment_has_no_credentials_and_no_region(tmp_path):
    done = run(empty_env(tmp_path), "--skip-tools")
    assert done.returncode == 2
    assert "deploy: no AWS credentials found" in done.stderr
    assert "aws configure" in done.stderr and "AWS_PROFILE" in done.stderr
    assert "deploy: no default AWS Region" in done.stderr
    assert "export AWS_REGION=" in done.stderr


def test_credentials_without_a_region_name_only_the_region_and_never_print_the_keys(tmp_path):
    env = empty_env(tmp_path, AWS_ACCESS_KEY_ID="AKIAFAKEFAKEFAKEFAKE", AWS_SECRET_ACCESS_KEY=FAKE_SECRET)
    done = run(env, "--skip-tools")
    assert done.returncode == 2
    assert "no default AWS Region" in done.stderr
    assert "no AWS credentials" not in done.stderr
    assert FAKE_SECRET not in done.stdout + done.stderr
    assert "AKIAFAKEFAKEFAKEFAKE" not in done.stdout + done.stderr


# ---------------------------------------------------------------- tools


def stub_tools(tmp_path, **versions):
    """A PATH of stand-ins: each named tool prints its version (None: absent)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, output in versions.items():
        if output is None:
            continue
        script = bin_dir / name
        script.write_text(f"#!/bin/sh\necho '{output}'\n")
        script.chmod(0o755)
    return {"PATH": str(bin_dir), "HOME": str(tmp_path)}


ALL_TOOLS = {"node": "v20.19.0", "npm": "10.8.2", "cargo": "cargo 1.90.0", "cargo-lambda": "cargo-lambda 1.9.2", "zig": "0.17.1"}


def test_every_build_tool_present_is_no_problem(tmp_path):
    assert preflight.check_tools(stub_tools(tmp_path, **ALL_TOOLS)) == []


def test_missing_cargo_lambda_and_zig_name_make_venv(tmp_path):
    problems = [str(p) for p in preflight.check_tools(stub_tools(tmp_path, **{**ALL_TOOLS, "cargo-lambda": None, "zig": None}))]
    assert len(problems) == 2
    assert "cargo-lambda is not on PATH" in problems[0] and "make venv" in problems[0]
    assert "zig is not on PATH" in problems[1] and "make venv" in problems[1]


def test_zig_from_the_ziglang_python_package_is_enough(tmp_path):
    env = stub_tools(tmp_path, **{**ALL_TOOLS, "zig": None, "python3": "0.17.1"})  # `python3 -m ziglang version`
    assert preflight.check_tools(env) == []


def test_an_old_node_and_missing_cargo_and_npm(tmp_path):
    problems = [str(p) for p in preflight.check_tools(stub_tools(tmp_path, **{**ALL_TOOLS, "node": "v18.20.4", "npm": None, "cargo": None}))]
    assert any("node v18.20.4 is too old" in p and "20.6" in p for p in problems)
    assert any(p.startswith("deploy: npm is not on PATH") for p in problems)
    assert any("cargo is not on PATH" in p and "rustup" in p for p in problems)


def test_the_script_reports_every_problem_not_only_the_first(tmp_path):
    env = {**empty_env(tmp_path), "PATH": stub_tools(tmp_path, node="v20.19.0")["PATH"]}
    done = run(env)
    assert done.returncode == 2
    for what in ("npm is not on PATH", "cargo is not on PATH", "cargo-lambda is not on PATH", "zig is not on PATH",
                 "no AWS credentials", "no default AWS Region"):
        assert what in done.stderr


# ---------------------------------------------------------------- the account (stubbed AWS answers)


class StubSession:
    """A boto3 session whose clients answer from Stubbers, never from the network."""

    region_name = "eu-west-1"

    def __init__(self):
        real = boto3.Session(aws_access_key_id="AKIAFAKE", aws_secret_access_key=FAKE_SECRET, region_name=self.region_name)
        self.clients = {name: real.client(name) for name in ("sts", "ssm", "cloudformation")}
        self.stubs = {name: Stubber(c) for name, c in self.clients.items()}
        for stub in self.stubs.values():
            stub.activate()

    def client(self, name):
        return self.clients[name]

    def caller(self, account="123456789012"):
        self.stubs["sts"].add_response("get_caller_identity", {"Account": account, "Arn": "arn:aws:iam::123456789012:user/x", "UserId": "X"})

    def bootstrapped(self, yes=True):
        if yes:
            self.stubs["ssm"].add_response("get_parameter", {"Parameter": {"Name": "/cdk-bootstrap/hnb659fds/version", "Value": "27"}},
                                           {"Name": "/cdk-bootstrap/hnb659fds/version"})
        else:
            self.stubs["ssm"].add_client_error("get_parameter", "ParameterNotFound", http_status_code=400)

    def stack(self, outputs=None, exists=True):
        if not exists:
            self.stubs["cloudformation"].add_client_error("describe_stacks", "ValidationError", "Stack with id X does not exist")
            return
        self.stubs["cloudformation"].add_response("describe_stacks", {"Stacks": [{
            "StackName": "ReadFileStack", "CreationTime": "2026-01-01T00:00:00Z", "StackStatus": "UPDATE_COMPLETE",
            "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in (outputs or {}).items()]}]})


def test_not_bootstrapped_names_the_account_region_and_make_bootstrap():
    s = StubSession()
    s.caller()
    s.bootstrapped(False)
    problems, account = preflight.check_account(s)
    assert account == "123456789012"
    assert len(problems) == 1
    text = str(problems[0])
    assert "account 123456789012 is not bootstrapped for the CDK in eu-west-1" in text
    assert "make bootstrap" in text and "cdk bootstrap aws://123456789012/eu-west-1" in text


def test_refused_credentials_stop_before_any_other_call():
    s = StubSession()
    s.stubs["sts"].add_client_error("get_caller_identity", "ExpiredToken", "The security token included in the request is expired")
    problems, account = preflight.check_account(s, stack="ReadFileStack")
    assert account is None
    assert [p.what for p in problems] == ["the AWS credentials are refused (ExpiredToken)"]
    s.stubs["ssm"].assert_no_pending_responses()


def test_bootstrapped_and_no_stack_yet_is_fine():
    s = StubSession()
    s.caller()
    s.bootstrapped()
    s.stack(exists=False)
    assert preflight.check_account(s, stack="ReadFileStack") == ([], "123456789012")


def test_a_deploy_that_would_delete_the_github_deploy_role_is_stopped():
    s = StubSession()
    s.caller()
    s.bootstrapped()
    s.stack({"GithubDeployRepository": "acme/read-file:production"})
    problems, _ = preflight.check_account(s, stack="ReadFileStack", github_repo=None)
    assert len(problems) == 1
    assert "has a GitHub deploy role for acme/read-file:production" in str(problems[0])
    assert "GITHUB_REPO=acme/read-file GITHUB_ENVIRONMENT=production" in str(problems[0])


@pytest.mark.parametrize("kwargs", [{"github_repo": "acme/read-file"}, {"allow_role_removal": True}])
def test_naming_the_repository_or_removing_on_purpose_passes(kwargs):
    s = StubSession()
    s.caller()
    s.bootstrapped()
    assert preflight.check_account(s, stack="ReadFileStack", **kwargs) == ([], "123456789012")
    s.stubs["cloudformation"].assert_no_pending_responses()
