"""make deploy's context: the user's variables become `cdk deploy -c` values, nothing else."""

import pytest

import deploy


def test_variables_and_context_pairs_become_cdk_context():
    env = {"FRONTEND_ORIGIN": "https://app.example.com", "REMOVAL_POLICY": "destroy", "GITHUB_REPO": "acme/read-file",
           "CONTEXT": "wafRateLimit=500 logReaders=arn:aws:iam::123456789012:role/A", "UNRELATED": "x", "STACK_NAME": ""}
    assert deploy.context_from(env) == {
        "frontendOrigin": "https://app.example.com", "removalPolicy": "destroy", "githubRepo": "acme/read-file",
        "wafRateLimit": "500", "logReaders": "arn:aws:iam::123456789012:role/A",
    }


@pytest.mark.parametrize("bad", ["novalue", "=x", "aws:cdk:bundling-stacks=[]"])
def test_malformed_or_reserved_context_is_refused(bad):
    with pytest.raises(deploy.UsageError):
        deploy.context_from({"CONTEXT": bad})


def test_the_cdk_command_deploys_one_stack_without_prompting_and_writes_outputs():
    command = deploy.cdk_deploy_command("ReadFileStack", {"frontendOrigin": "https://app.example.com"})
    assert command[1:3] == ["deploy", "ReadFileStack"]
    assert command[command.index("--require-approval") + 1] == "never"
    assert command[command.index("--outputs-file") + 1] == str(deploy.CDK_OUTPUTS)
    assert command[-2:] == ["-c", "frontendOrigin=https://app.example.com"]


def test_a_failed_preflight_stops_before_any_build(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(deploy.subprocess, "run", lambda *a, **k: calls.append(a))
    monkeypatch.setattr(deploy.preflight, "run", lambda args, env=None: 2)
    assert deploy.main({"PATH": str(tmp_path)}) == 2
    assert calls == []
