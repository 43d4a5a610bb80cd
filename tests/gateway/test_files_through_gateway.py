"""The file API through the local gateway, as a browser or a backend calls it: SigV4-signed with the
identity's own keys (botocore's signer and curl's, neither ours), binary bodies base64-encoded by the
gateway as API Gateway does for a `*/*` binary media type, and signed S3 URLs used with plain HTTP."""

import json
import os
import subprocess
import urllib.error
import urllib.request
import uuid
from urllib.parse import quote

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

REGION = "us-east-1"
EVERY_BYTE = bytes(range(256)) * 12


def signed(method, url, creds, *, token, body=b"", headers=None):
    """botocore SigV4Auth over method, path, query and body; returns (status, parsed JSON or None)."""
    request = AWSRequest(method=method, url=url, data=body, headers={"idToken": token["ID_TOKEN"], **(headers or {})})
    credentials = Credentials(creds["AWS_ACCESS_KEY_ID"], creds["AWS_SECRET_ACCESS_KEY"], creds["AWS_SESSION_TOKEN"])
    SigV4Auth(credentials, "execute-api", REGION).add_auth(request)
    prepared = urllib.request.Request(request.url, data=body or None, headers=dict(request.headers.items()), method=method)
    try:
        with urllib.request.urlopen(prepared, timeout=60) as response:
            raw = response.read()
            return response.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, (json.loads(raw) if raw else None)


def curl_signed(method, url, creds, *, token):
    """curl --aws-sigv4 (keys and token through a config on stdin, never the command line)."""
    lines = [f'aws-sigv4 = "aws:amz:{REGION}:execute-api"',
             f'user = "{creds["AWS_ACCESS_KEY_ID"]}:{creds["AWS_SECRET_ACCESS_KEY"]}"',
             f'header = "x-amz-security-token: {creds["AWS_SESSION_TOKEN"]}"',
             f'header = "idToken: {token["ID_TOKEN"]}"']
    run = subprocess.run(["curl", "-s", "-K", "-", "-X", method, "-w", "\n%{http_code}", url],
                         input="\n".join(lines), capture_output=True, text=True, timeout=60)
    body, _, status = run.stdout.rpartition("\n")
    return int(status), (json.loads(body) if body else None)


def plain_get(url):
    """The signed S3 URL as any HTTP client would fetch it: no AWS code at all."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def files(stack):
    return f"{stack.api_url}/files"


def without_url(answer):
    """An answer fit for a failure message: a presigned URL carries the session token."""
    data = answer.get("data") if isinstance(answer, dict) else None
    if isinstance(data, dict) and "url" in data:
        return {**answer, "data": {**data, "url": "<cut>"}}
    return answer


def path_of(name):
    return quote(name, safe="/")


def test_a_binary_file_goes_through_put_list_get_download_and_delete(users, files):
    alice = users["user"]
    name = f"gateway/{uuid.uuid4().hex} été.bin"
    url = f"{files}/{path_of(name)}"
    status, put = signed("PUT", url, alice, token=alice, body=EVERY_BYTE,
                         headers={"Content-Type": "application/octet-stream"})
    assert (status, put["data"]["size"]) == (201, len(EVERY_BYTE)), put
    status, listed = curl_signed("GET", f"{files}?prefix=gateway", alice, token=alice)
    assert status == 200 and name in [f["name"] for f in listed["data"]["files"]], listed
    # botocore encodes the path twice in the canonical request, as SigV4 wants for every service
    # but S3; curl signs it as it stands, so curl reaches only names that need no encoding.
    status, got = signed("GET", url, alice, token=alice)
    assert (status, got["data"]["name"], got["data"]["size"]) == (200, name, len(EVERY_BYTE)), without_url(got)
    fetched = plain_get(got["data"]["url"])  # kept out of the assert: pytest would print the URL
    assert fetched == (200, EVERY_BYTE)
    assert signed("DELETE", url, alice, token=alice) == (204, None)
    status, gone = signed("GET", url, alice, token=alice)
    assert (status, gone["error"]["code"]) == (404, "file_not_found")


def test_curl_reaches_a_plain_name_and_a_percent_encoded_one_is_a_signature_mismatch(users, files):
    alice = users["user"]
    plain = f"gateway/{uuid.uuid4().hex}.txt"
    # No Content-Type: urllib sends a form type, which S3 stores like any other bytes.
    assert signed("PUT", f"{files}/{plain}", alice, token=alice, body=b"plain")[0] == 201
    status, got = curl_signed("GET", f"{files}/{plain}", alice, token=alice)
    assert (status, got["data"]["size"]) == (200, 5), without_url(got)
    assert curl_signed("DELETE", f"{files}/{plain}", alice, token=alice) == (204, None)
    status, refused = curl_signed("GET", f"{files}/{path_of('gateway/a b.txt')}", alice, token=alice)
    assert status == 403 and refused["message"].startswith("The request signature we calculated does not match")


def test_another_user_never_reaches_the_file(users, files):
    alice, bob = users["user"], users["admin"]
    name = f"gateway/{uuid.uuid4().hex}.txt"
    url = f"{files}/{path_of(name)}"
    assert signed("PUT", url, alice, token=alice, body=b"alice only")[0] == 201
    try:
        status, body = signed("GET", url, bob, token=bob)
        assert (status, body["error"]["code"]) == (404, "file_not_found"), "bob's own folder has no such file"
        status, listed = signed("GET", f"{files}?prefix=gateway", bob, token=bob)
        assert status == 200 and name not in [f["name"] for f in listed["data"]["files"]]
        # Bob's keys with Alice's token: the function refuses the mix before any S3 call.
        status, body = signed("DELETE", url, bob, token=alice)
        assert (status, body["error"]["code"]) == (403, "identity_mismatch")
    finally:
        assert signed("DELETE", url, alice, token=alice)[0] == 204


def test_a_large_file_goes_up_through_a_signed_upload_url(users, stack):
    alice = users["user"]
    name = f"gateway/{uuid.uuid4().hex}.mp4"
    body = os.urandom(6 << 20)
    ask = json.dumps({"name": name, "size": len(body), "contentType": "video/mp4"}).encode()
    status, answer = signed("POST", f"{stack.api_url}/upload-urls", alice, token=alice, body=ask,
                            headers={"Content-Type": "application/json"})
    assert status == 200, answer
    upload = urllib.request.Request(answer["data"]["url"], data=body, method="PUT", headers=answer["data"]["headers"])
    with urllib.request.urlopen(upload, timeout=120) as response:
        assert response.status == 200
    status, got = signed("GET", f"{stack.api_url}/files/{path_of(name)}", alice, token=alice)
    assert (status, got["data"]["size"], got["data"]["contentType"]) == (200, len(body), "video/mp4")
    assert signed("DELETE", f"{stack.api_url}/files/{path_of(name)}", alice, token=alice)[0] == 204


def test_the_preflight_allows_the_file_apis_methods_and_headers(stack, function):
    run = subprocess.run(["curl", "-s", "-i", "-X", "OPTIONS", "-H", "Origin: http://localhost:3000",
                          "-H", "Access-Control-Request-Method: PUT",
                          "-H", "Access-Control-Request-Headers: idtoken,content-type,if-none-match",
                          f"{stack.api_url}/files/a/b.txt"], capture_output=True, text=True, timeout=60)
    head = run.stdout.replace("\r\n", "\n").split("\n\n", 1)[0].lower()
    assert head.split(None, 2)[1] == "204", head
    methods = next(line for line in head.splitlines() if line.startswith("access-control-allow-methods:"))
    for method in ("get", "put", "post", "delete"):
        assert method in methods, methods
    headers = next(line for line in head.splitlines() if line.startswith("access-control-allow-headers:"))
    assert "if-none-match" in headers and "idtoken" in headers, headers
