"""The proxy event the gateway builds has AWS's documented keys, and the repo's REST v1 fixture
(tests/fixtures/rest-v1-iam.json, what the Rust tests parse) has the same ones."""

import json
import re
from pathlib import Path

from documented_event import check_keys
from signing import signed
from test_app import principal

from gateway import api_source, event

FIXTURE = Path(__file__).resolve().parents[4] / "tests" / "fixtures" / "rest-v1-iam.json"


def build(request, api=None):
    api = api or api_source.load()
    return event.build(request, api=api, route=api.routes[0], api_id="localapi01", account_id="123456789012",
                       principal=principal([]), source_ip="127.0.0.1", request_id="r-1")


def test_the_event_has_exactly_the_documented_keys():
    check_keys(build(signed(headers=[("idToken", "t")])))


def test_the_repos_rest_v1_fixture_has_the_same_keys():
    text = re.sub(r"\[\{\{[A-Z_]+\}\}\]", '["x"]', FIXTURE.read_text())  # list placeholders
    text = re.sub(r"\{\{[A-Z_]+\}\}", "x", text)
    check_keys(json.loads(text))


def test_repeated_headers_and_query_parameters_are_kept_in_the_multi_value_maps():
    request = signed(url="http://h/v1/read-file?a=1&a=2&b=x%20y", headers=[("X-Rep", "one"), ("X-Rep", "two")])
    built = build(request)
    assert built["multiValueHeaders"]["X-Rep"] == ["one", "two"] and built["headers"]["X-Rep"] == "two"
    assert built["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x y"]}
    assert built["queryStringParameters"] == {"a": "2", "b": "x y"}


def test_without_a_query_or_body_those_fields_are_null():
    built = build(signed())
    assert built["queryStringParameters"] is None and built["multiValueQueryStringParameters"] is None
    assert built["body"] is None and built["isBase64Encoded"] is False and built["pathParameters"] is None


def test_a_binary_media_type_body_is_base64_text_bodies_are_strings():
    api = api_source.load()
    binary_api = api.__class__(**{**api.__dict__, "binary_media_types": ("application/octet-stream",)})
    raw = signed("POST", body=b"\x00\xff", headers=[("Content-Type", "application/octet-stream")])
    assert build(raw, binary_api)["body"] == "AP8=" and build(raw, binary_api)["isBase64Encoded"] is True
    text = signed("POST", body=b'{"a":1}', headers=[("Content-Type", "application/json")])
    assert build(text, binary_api)["body"] == '{"a":1}' and build(text, binary_api)["isBase64Encoded"] is False
