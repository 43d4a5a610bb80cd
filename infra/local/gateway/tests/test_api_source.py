"""The gateway serves infra/api/api.json, and the invoke grant names exactly its AWS_IAM routes."""

import json
from pathlib import Path

import pytest

from gateway import api_source
from moto_ext.iam_eval import ALLOW, evaluate

from test_app import invoke_policy


def test_the_gateway_reads_the_shared_api_file():
    assert api_source.API_FILE == Path(__file__).resolve().parents[3] / "api" / "api.json"
    api = api_source.load()
    raw = json.loads(api_source.API_FILE.read_text())
    assert api.stage == raw["stageName"] and [r.path for r in api.routes] == [r["path"] for r in raw["routes"]]


def test_the_invoke_policy_grants_every_route_and_nothing_else():
    api = api_source.load()
    policy = [invoke_policy(api.stage)]
    arn = "arn:aws:execute-api:us-east-1:123456789012:localapi01/{}/{}{}"
    for route in api.routes:
        assert evaluate(policy, "execute-api:Invoke", arn.format(api.stage, route.method, route.path), {}) == ALLOW
    for method, path in [("POST", "/read-file"), ("GET", "/read-file/x"), ("GET", "/other")]:
        assert evaluate(policy, "execute-api:Invoke", arn.format(api.stage, method, path), {}) != ALLOW
    assert evaluate(policy, "execute-api:Invoke", arn.format("prod", "GET", "/read-file"), {}) != ALLOW


def test_a_malformed_api_file_is_refused(tmp_path):
    raw = json.loads(api_source.API_FILE.read_text())
    for patch in ({"stageName": "v-1"}, {"routes": [{**raw["routes"][0], "authorization": "NONE"}]},
                  {"routes": [raw["routes"][0], raw["routes"][0]]}):
        (tmp_path / "api.json").write_text(json.dumps({**raw, **patch}))
        with pytest.raises(ValueError):
            api_source.load(tmp_path / "api.json")


def _api_with(routes):
    api = api_source.load()
    return api.__class__(**{**api.__dict__, "routes": tuple(api_source.Route(m, p, "AWS_IAM", "lambda-proxy") for m, p in routes)})


def test_path_parameters_match_one_segment_and_a_greedy_one_the_rest():
    api = _api_with([("GET", "/files"), ("GET", "/files/{name+}"), ("GET", "/users/{id}/card"), ("GET", "/files/special")])
    assert api.route("GET", "/files/notes/a.txt")[1] == {"name": "notes/a.txt"}
    assert api.route("GET", "/files")[0].path == "/files"
    assert api.route("GET", "/files/special")[0].path == "/files/special"  # the literal wins
    assert api.route("GET", "/users/42/card") == (api.routes[2], {"id": "42"})
    for path in ("/files/", "/users/42", "/users//card", "/users/42/card/x", "/other"):
        assert api.route("GET", path) == (None, None), path
    assert api.has_path("/files/x") and not api.has_path("/nope")


def test_path_templates_are_validated(tmp_path):
    raw = json.loads(api_source.API_FILE.read_text())
    for good in ("/files/{name+}", "/users/{id}/card"):
        (tmp_path / "api.json").write_text(json.dumps({**raw, "routes": [{**raw["routes"][0], "path": good}]}))
        assert api_source.load(tmp_path / "api.json").routes[0].path == good
    for bad in ("/files/{name+}/x", "/files/{na me}", "/files/", "files"):
        (tmp_path / "api.json").write_text(json.dumps({**raw, "routes": [{**raw["routes"][0], "path": bad}]}))
        with pytest.raises(ValueError):
            api_source.load(tmp_path / "api.json")
