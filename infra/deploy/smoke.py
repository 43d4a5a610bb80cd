"""`make smoke`: prove a stack end to end with throw-away users, the way a user reaches it.

  smoke.py [--target auto|deploy|local] [--outputs FILE] [--local-env FILE] [--api-file FILE] [--plan-only]

Target: a deployment (.deploy/outputs.json, `make deploy` writes it) or, when there is none, the
local stack (.local/stack.env, with the function under `make dev`); `--local-env` names another
env file of the local stack's shape (tests/smoke-local.sh gives one with a short user check TTL).

What it does, one line per check, then a summary; exit 1 on any failure:
- two new users (random names and passwords) sign in and exchange their ID tokens for their own
  identity-pool keys (GetId, GetCredentialsForIdentity, unsigned as the SDKs send them);
- every route of infra/api/api.json is called, SigV4-signed with the caller's own keys: the file
  API's round trip (upload, list, signed-URL download byte-identical, upload through a signed upload
  URL, read-file, a resumable upload begun, sent, listed, completed and another abandoned, a folder
  made, a copy and a move into it, the folder removed, delete), then sharing between the two users
  (A shares a file with B by username, both listings show it, B downloads it byte-identical, neither
  can reach the other's side of it, A revokes it). A route this script has no check for fails the
  run (`--plan-only` shows the plan without calling anything);
- isolation on both locks: A's keys with B's token are refused by the function; A's keys on B's
  prefix are refused by S3 itself (while A's own prefix is allowed); an unsigned call is refused by
  API Gateway;
- a disabled user is refused within the stack's USER_CHECK_TTL_SECONDS (with the shared tier: after
  the revocation event, allowed SMOKE_EVENT_DELIVERY_SECONDS, default 120);
- whatever happens (a failed check, Ctrl-C, SIGTERM): every object version under the users'
  folders (their own and what is shared with them), their identities and the users are deleted,
  then listed to show nothing is left.

No token, key, password or presigned URL is ever printed.
"""

import argparse
import json
import os
import re
import secrets
import signal
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
import settings as targets  # noqa: E402

API_FILE = targets.ROOT / "infra" / "api" / "api.json"
SLACK_SECONDS = 10  # beyond USER_CHECK_TTL_SECONDS: request latency and clock steps
EVERY_BYTE = bytes(range(256)) * 16


class CheckFailed(Exception):
    """A check's expectation was not met; the message is safe to print."""


def redact(text):
    """Cut what must never be printed: JWTs, session tokens, signatures, presigned URLs."""
    text = re.sub(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*", "<token>", str(text))
    text = re.sub(r"(?i)(x-amz-security-token|x-amz-signature|x-amz-credential)=[^&\s\"']+", r"\1=<cut>", text)
    text = re.sub(r"(?i)\"url\"\s*:\s*\"[^\"]*\"", '"url":"<cut>"', text)
    text = re.sub(r"https?://[^\s\"']*[?&]X-Amz-[^\s\"']*", "<presigned URL>", text)
    return text[:300]


# ---------------------------------------------------------------- the plan: one check per route


@dataclass(frozen=True)
class RouteCheck:
    route: str  # "METHOD /path" as in api.json
    title: str
    between_users: bool = False  # run once, A and B together (sharing), not in each user's round trip


ROUTE_CHECKS = (
    RouteCheck("PUT /files/{name+}", "upload a binary file with a non-ASCII name"),
    RouteCheck("GET /files", "the listing shows it"),
    RouteCheck("GET /files/{name+}", "its signed download URL returns the same bytes"),
    RouteCheck("POST /upload-urls", "upload through a signed upload URL; the file API sees it"),
    RouteCheck("GET /read-file", "read the first line of the own data.txt"),
    RouteCheck("POST /uploads", "begin a resumable (multipart) upload"),
    RouteCheck("POST /uploads/{upload}/parts", "its part's signed URL takes the bytes straight to S3"),
    RouteCheck("GET /uploads", "the unfinished upload is listed"),
    RouteCheck("GET /uploads/{upload}", "its received part is listed with its ETag"),
    RouteCheck("POST /uploads/{upload}/complete", "complete it; the file API sees the whole file"),
    RouteCheck("DELETE /uploads/{upload}", "a second upload, abandoned, is no longer listed"),
    RouteCheck("PUT /folders/{path+}", "make an empty folder; a one-level listing shows it"),
    RouteCheck("POST /copies", "copy the binary file into the folder"),
    RouteCheck("POST /moves", "move the copy inside the folder; the source is gone"),
    RouteCheck("DELETE /folders/{path+}", "remove the folder and everything below it"),
    RouteCheck("DELETE /files/{name+}", "delete the files; a GET answers 404 file_not_found, the listing is empty"),
    RouteCheck("DELETE /files", "a name no path can carry, stored with the user's own keys, is listed with an id that deletes it"),
    RouteCheck("POST /shares", "A shares a file with B by username (201); an unknown username is 404 unknown_recipient",
               between_users=True),
    RouteCheck("GET /shares", "B sees it in withMe, from A's username; A sees it in mine, with B's", between_users=True),
    RouteCheck("GET /shares/{id}", "B's signed URL downloads the same bytes; A's GET of it is 404 share_not_found",
               between_users=True),
    RouteCheck("DELETE /shares/{id}", "B's DELETE is 404 share_not_found; A revokes (204), then B's GET is 404",
               between_users=True),
)


def load_routes(api_file=API_FILE):
    api = json.loads(Path(api_file).read_text())
    return [f"{r['method']} {r['path']}" for r in api["routes"]]


def plan(routes):
    """(the checks to run, in order, for the routes api.json has; the routes no check knows)."""
    known = {c.route for c in ROUTE_CHECKS}
    return [c for c in ROUTE_CHECKS if c.route in routes], [r for r in routes if r not in known]


# ---------------------------------------------------------------- report


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, fn):
        """Run one check; one line either way. Returns fn's value, or None when it failed."""
        started = time.monotonic()
        try:
            value = fn()
        except CheckFailed as error:
            self._fail(name, str(error))
            return None
        except Exception as error:  # an SDK or network error: its type and a redacted message
            self._fail(name, f"{type(error).__name__}: {error}")
            return None
        detail = value if isinstance(value, str) else ""
        self.passed += 1
        print(f"ok   {name} ({time.monotonic() - started:.1f} s){': ' + detail if detail else ''}", flush=True)
        return value if value is not None else True

    def fail(self, name, why):
        self._fail(name, why)

    def _fail(self, name, why):
        self.failed += 1
        print(f"FAIL {name}: {redact(why)}", flush=True)


# ---------------------------------------------------------------- callers


class Identity:
    """A user's password, ID token, IdentityId and keys; its repr names the user only."""

    def __init__(self, label, username):
        self.label = label
        self.username = username
        self.password = "Sm0ke-" + secrets.token_urlsafe(18) + "!aA1"
        self.token = None
        self.identity_id = None
        self.keys = None

    def __repr__(self):
        return f"<smoke user {self.label}>"

    def boto_keys(self):
        return {"aws_access_key_id": self.keys["AccessKeyId"], "aws_secret_access_key": self.keys["SecretKey"],
                "aws_session_token": self.keys["SessionToken"]}


@dataclass
class Answer:
    status: int
    body: object  # parsed JSON, or text
    headers: dict

    def code(self):
        return (self.body.get("error") or {}).get("code") if isinstance(self.body, dict) else None

    def data(self):
        return self.body.get("data") if isinstance(self.body, dict) else None

    def brief(self):
        return f"{self.status} {redact(json.dumps(self.body) if not isinstance(self.body, str) else self.body)}"


def http(method, url, *, body=None, headers=None, timeout=60):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(), dict(response.headers.items())
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers.items())


def parse(raw):
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")


class Api:
    def __init__(self, target):
        self.target = target
        self.base = target.api_url

    def url(self, path, query=""):
        return f"{self.base}{path}" + (f"?{query}" if query else "")

    def call(self, method, path, signer, *, token_of=None, body=b"", headers=None, query=""):
        """SigV4-signed (botocore's signer, service execute-api) with `signer`'s keys, sending the ID
        token of `token_of` (default: the signer's own)."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        token_of = token_of or signer
        all_headers = {"idToken": token_of.token, **(headers or {})}
        request = AWSRequest(method=method, url=self.url(path, query), data=body, headers=all_headers)
        keys = signer.keys
        SigV4Auth(Credentials(keys["AccessKeyId"], keys["SecretKey"], keys["SessionToken"]),
                  "execute-api", self.target.region).add_auth(request)
        return self._paced(lambda: http(method, request.url, body=body or None, headers=dict(request.headers.items())))

    def unsigned(self, method, path):
        return self._paced(lambda: http(method, self.url(path)))

    @staticmethod
    def _paced(send):
        """The stage's throttle (20 requests/s, burst 40, as api.json sets it) and the per-caller WAF
        rule answer 429 to a client faster than that: wait as a well-behaved client does (the
        answer's Retry-After, else 1, 2, 4 s) and send again, at most 4 times."""
        for attempt in range(5):
            status, raw, headers = send()
            if status != 429 or attempt == 4:
                return Answer(status, parse(raw), headers)
            retry_after = {k.lower(): v for k, v in headers.items()}.get("retry-after", "")
            time.sleep(min(float(retry_after), 30.0) if retry_after.isdigit() else 2.0 ** attempt)


def file_path(name):
    return "/files/" + quote(name, safe="/")


def expect(answer, status, what, code=None):
    if answer.status != status or (code is not None and answer.code() != code):
        raise CheckFailed(f"{what}: expected {status}{' ' + code if code else ''}, got {answer.brief()}")
    return answer


# ---------------------------------------------------------------- the run


class RoundTrip:
    """The file API's round trip for one user, one method per route."""

    def __init__(self, smoke, user):
        self.api = smoke.api
        self.user = user
        run = smoke.run_id
        self.run_id = run
        self.names = {"binary": f"smoke/{run} {user.label} été.bin", "uploaded": f"smoke/{run}-{user.label}-via-url.txt",
                      "data": "data.txt"}
        self.uploaded_body = f"uploaded through a signed URL by run {run}\n".encode()
        self.names["multipart"] = f"smoke/{run}-{user.label}-multipart.bin"
        self.folder = f"smoke/{run}-{user.label}-folder"
        self.multipart_body = f"one part, uploaded by run {run}\n".encode()
        self.upload = None  # the resumable upload's handle while it is unfinished
        self.unfinished = []  # handles begun and neither completed nor abandoned (cleanup)
        self.part_etag = None

    def call(self, method, path, **kwargs):
        return self.api.call(method, path, self.user, **kwargs)

    def put_file(self):
        answer = self.call("PUT", file_path(self.names["binary"]), body=EVERY_BYTE,
                           headers={"Content-Type": "application/octet-stream"})
        expect(answer, 201, "PUT")
        if (answer.data() or {}).get("size") != len(EVERY_BYTE):
            raise CheckFailed(f"PUT answered size {(answer.data() or {}).get('size')}, sent {len(EVERY_BYTE)}")
        return f"{len(EVERY_BYTE)} bytes"

    def list_files(self):
        answer = expect(self.call("GET", "/files", query="prefix=smoke"), 200, "GET /files")
        names = [f.get("name") for f in (answer.data() or {}).get("files", [])]
        if self.names["binary"] not in names:
            raise CheckFailed(f"the uploaded file is not listed ({len(names)} names listed)")
        return f"{len(names)} file(s) under smoke/"

    def download(self):
        answer = expect(self.call("GET", file_path(self.names["binary"])), 200, "GET /files/{name}")
        url = (answer.data() or {}).get("url")
        if not url:
            raise CheckFailed("no signed URL in the answer")
        status, raw, _ = http("GET", url)  # the URL as any HTTP client uses it: no AWS code
        if status != 200 or raw != EVERY_BYTE:
            raise CheckFailed(f"the signed URL answered {status} with {len(raw)} bytes, not the {len(EVERY_BYTE)} uploaded")
        return "byte-identical"

    def upload_url(self):
        ask = json.dumps({"name": self.names["uploaded"], "size": len(self.uploaded_body), "contentType": "text/plain"}).encode()
        answer = expect(self.call("POST", "/upload-urls", body=ask, headers={"Content-Type": "application/json"}),
                        200, "POST /upload-urls")
        data = answer.data() or {}
        if not data.get("url"):
            raise CheckFailed("no signed upload URL in the answer")
        status, raw, _ = http("PUT", data["url"], body=self.uploaded_body, headers=data.get("headers") or {})
        if status != 200:
            raise CheckFailed(f"the signed upload URL answered {status}: {redact(raw[:200])}")
        got = expect(self.call("GET", file_path(self.names["uploaded"])), 200, "GET of the uploaded file")
        if (got.data() or {}).get("size") != len(self.uploaded_body):
            raise CheckFailed(f"the file API sees size {(got.data() or {}).get('size')}, uploaded {len(self.uploaded_body)}")

    def read_file(self):
        line = f"smoke {self.run_id} {self.user.label} first line"
        expect(self.call("PUT", file_path(self.names["data"]), body=f"{line}\nsecond line\n".encode(),
                         headers={"Content-Type": "text/plain"}), 201, "PUT data.txt")
        answer = expect(self.call("GET", "/read-file"), 200, "GET /read-file")
        if answer.data() != line:
            raise CheckFailed(f"read-file answered {answer.brief()}")

    def _json(self, method, path, payload, status, what):
        body = json.dumps(payload).encode()
        return expect(self.call(method, path, body=body, headers={"Content-Type": "application/json"}), status, what)

    def _begin(self, name):
        ask = {"name": name, "size": len(self.multipart_body), "contentType": "application/octet-stream"}
        data = self._json("POST", "/uploads", ask, 201, "POST /uploads").data() or {}
        if not data.get("upload") or data.get("partCount") != 1:
            raise CheckFailed(f"expected a handle and 1 part, got partCount {data.get('partCount')}")
        self.unfinished.append(data["upload"])
        return data["upload"]

    def begin_upload(self):
        self.upload = self._begin(self.names["multipart"])
        return f"{len(self.multipart_body)} bytes in 1 part"

    def upload_part(self):
        data = self._json("POST", f"/uploads/{self.upload}/parts", {"parts": [1]}, 200,
                          "POST /uploads/{upload}/parts").data() or {}
        urls = data.get("urls") or []
        if len(urls) != 1 or urls[0].get("part") != 1 or not urls[0].get("url"):
            raise CheckFailed(f"expected one signed URL for part 1, got {len(urls)}")
        status, raw, headers = http(urls[0].get("method") or "PUT", urls[0]["url"], body=self.multipart_body,
                                    headers=urls[0].get("headers") or {})
        etag = {k.lower(): v for k, v in headers.items()}.get("etag")
        if status != 200 or not etag:
            raise CheckFailed(f"the part's signed URL answered {status}: {redact(raw[:200])}")
        self.part_etag = etag

    def list_uploads(self):
        data = expect(self.call("GET", "/uploads"), 200, "GET /uploads").data() or {}
        if self.upload not in [u.get("upload") for u in data.get("uploads", [])]:
            raise CheckFailed("the unfinished upload is not listed")

    def upload_parts(self):
        data = expect(self.call("GET", f"/uploads/{self.upload}"), 200, "GET /uploads/{upload}").data() or {}
        parts = data.get("parts") or []
        if [p.get("part") for p in parts] != [1] or parts[0].get("etag") != self.part_etag:
            raise CheckFailed(f"expected part 1 with the ETag S3 answered, got {len(parts)} part(s)")

    def complete_upload(self):
        payload = {"parts": [{"part": 1, "etag": self.part_etag}]}
        self._json("POST", f"/uploads/{self.upload}/complete", payload, 201, "POST /uploads/{upload}/complete")
        self.unfinished.remove(self.upload)
        got = expect(self.call("GET", file_path(self.names["multipart"])), 200, "GET of the completed file")
        if (got.data() or {}).get("size") != len(self.multipart_body):
            raise CheckFailed(f"the file API sees size {(got.data() or {}).get('size')}, uploaded {len(self.multipart_body)}")

    def abandon_upload(self):
        handle = self._begin(f"smoke/{self.run_id}-{self.user.label}-abandoned.bin")
        expect(self.call("DELETE", f"/uploads/{handle}"), 204, "DELETE /uploads/{upload}")
        self.unfinished.remove(handle)
        data = expect(self.call("GET", "/uploads"), 200, "GET /uploads after DELETE").data() or {}
        if handle in [u.get("upload") for u in data.get("uploads", [])]:
            raise CheckFailed("the abandoned upload is still listed")

    def make_folder(self):
        expect(self.call("PUT", "/folders/" + quote(self.folder, safe="/")), 201, "PUT /folders/{path}")
        data = expect(self.call("GET", "/files", query="prefix=smoke%2F&delimiter=%2F"), 200,
                      "GET /files one level").data() or {}
        if self.folder + "/" not in [f.get("name") for f in data.get("folders", [])] and \
                self.folder not in [f.get("name") for f in data.get("folders", [])]:
            raise CheckFailed(f"the folder is not among the {len(data.get('folders', []))} listed")

    def copy(self):
        payload = {"from": self.names["binary"], "to": f"{self.folder}/copy.bin"}
        data = self._json("POST", "/copies", payload, 201, "POST /copies").data() or {}
        if data.get("size") != len(EVERY_BYTE):
            raise CheckFailed(f"the copy has size {data.get('size')}, not {len(EVERY_BYTE)}")

    def move(self):
        payload = {"from": f"{self.folder}/copy.bin", "to": f"{self.folder}/moved.bin"}
        self._json("POST", "/moves", payload, 201, "POST /moves")
        expect(self.call("GET", file_path(f"{self.folder}/copy.bin")), 404, "GET of the moved file's source",
               "file_not_found")
        expect(self.call("GET", file_path(f"{self.folder}/moved.bin")), 200, "GET of the moved file")

    def delete_folder(self):
        data = expect(self.call("DELETE", "/folders/" + quote(self.folder, safe="/")), 200,
                      "DELETE /folders/{path}").data() or {}
        if data.get("done") is not True or data.get("failed") or (data.get("deleted") or 0) < 2:
            raise CheckFailed(f"expected the marker and the moved file deleted, done; got {json.dumps(data)[:200]}")
        expect(self.call("GET", file_path(f"{self.folder}/moved.bin")), 404, "GET below the deleted folder",
               "file_not_found")
        return f"{data.get('deleted')} key(s)"

    def abandon_unfinished(self):
        """Cleanup: uploads a failed check left unfinished (the bucket's lifecycle rule would abort
        them after a day)."""
        for handle in list(self.unfinished):
            if self.call("DELETE", f"/uploads/{handle}").status == 204:
                self.unfinished.remove(handle)
        if self.unfinished:
            raise CheckFailed(f"{len(self.unfinished)} upload(s) left for the lifecycle rule")

    def delete_files(self):
        for name in self.names.values():
            expect(self.call("DELETE", file_path(name)), 204, f"DELETE {name}")
        expect(self.call("GET", file_path(self.names["binary"])), 404, "GET after DELETE", "file_not_found")
        listed = expect(self.call("GET", "/files", query="prefix=smoke"), 200, "GET /files after DELETE")
        left = [f.get("name") for f in (listed.data() or {}).get("files", [])]
        if left:
            raise CheckFailed(f"{len(left)} file(s) still listed after DELETE")


    def delete_by_id(self, smoke):
        """A key the API's name rules refuse (`a//b`), put straight into S3 with the user's own keys
        (as the browser can): the listing shows it with `addressable: false` and an id, and
        `DELETE /files?id=` removes it."""
        s3 = smoke.target.client("s3", **self.user.boto_keys())
        stray = f"smoke/{self.run_id}-stray//{self.user.label}"
        folder = f"{smoke.target.prefix}/{self.user.identity_id}/"
        s3.put_object(Bucket=smoke.target.settings["S3_BUCKET"], Key=folder + stray, Body=b"stray")
        listed = expect(self.call("GET", "/files", query="prefix=smoke"), 200, "GET /files with a stray name")
        entry = next((f for f in (listed.data() or {}).get("files", []) if f.get("name") == stray), None)
        if not entry or entry.get("addressable") is not False or not entry.get("id"):
            raise CheckFailed("the stray name is not listed as addressable: false with an id")
        expect(self.call("DELETE", "/files", query=f"id={entry['id']}"), 204, "DELETE /files?id=")
        listed = expect(self.call("GET", "/files", query="prefix=smoke"), 200, "GET /files after DELETE by id")
        if any(f.get("name") == stray for f in (listed.data() or {}).get("files", [])):
            raise CheckFailed("the stray name is still listed after DELETE /files?id=")


class Sharing:
    """Sharing between the two users, one method per route: A (the owner) shares with B (the
    recipient), then revokes. The copy lives at <prefix>-shared/<B's IdentityId>/<A's IdentityId>/."""

    def __init__(self, smoke):
        self.api = smoke.api
        self.owner, self.recipient = smoke.a, smoke.b
        self.run_id = smoke.run_id
        self.name = f"smoke/{smoke.run_id} shared été.bin"
        self.id = None

    def steps(self):
        return {
            "POST /shares": self.share,
            "GET /shares": self.list_shares,
            "GET /shares/{id}": self.download,
            "DELETE /shares/{id}": self.revoke,
        }

    def _share_path(self):
        if not self.id:
            raise CheckFailed("no share id: POST /shares did not pass")
        return "/shares/" + quote(self.id, safe="")

    def _post(self, payload):
        return self.api.call("POST", "/shares", self.owner, body=json.dumps(payload).encode(),
                             headers={"Content-Type": "application/json"})

    def share(self):
        expect(self.api.call("PUT", file_path(self.name), self.owner, body=EVERY_BYTE,
                             headers={"Content-Type": "application/octet-stream"}), 201, "A's PUT of the file to share")
        answer = expect(self._post({"name": self.name, "with": self.recipient.username}), 201, "POST /shares")
        data = answer.data() or {}
        if not isinstance(answer.body, dict) or answer.body.get("type") != "share" or not data.get("id"):
            raise CheckFailed(f"expected a share with an id, got {answer.brief()}")
        if (data.get("name"), data.get("with"), data.get("size")) != (self.name, self.recipient.username, len(EVERY_BYTE)):
            raise CheckFailed(f"the share names {data.get('name')!r} with {data.get('with')!r}, size {data.get('size')}")
        self.id = data["id"]
        nobody = f"smoke-{self.run_id}-nobody"
        expect(self._post({"name": self.name, "with": nobody}), 404, "POST /shares with an unknown username",
               "unknown_recipient")
        return "201, and 404 unknown_recipient"

    def list_shares(self):
        self._share_path()
        theirs = expect(self.api.call("GET", "/shares", self.recipient), 200, "B's GET /shares")
        entry = next((s for s in (theirs.data() or {}).get("withMe", []) if s.get("id") == self.id), None)
        if entry is None:
            raise CheckFailed("the share is not in B's withMe")
        if (entry.get("name"), entry.get("from"), entry.get("size")) != (self.name, self.owner.username, len(EVERY_BYTE)):
            raise CheckFailed(f"B's withMe lists {entry.get('name')!r} from {entry.get('from')!r}, size {entry.get('size')}")
        mine = expect(self.api.call("GET", "/shares", self.owner), 200, "A's GET /shares")
        entry = next((s for s in (mine.data() or {}).get("mine", []) if s.get("id") == self.id), None)
        if entry is None or (entry.get("name"), entry.get("with")) != (self.name, self.recipient.username):
            raise CheckFailed("the share is not in A's mine, with B's username")
        if any(s.get("id") == self.id for s in (mine.data() or {}).get("withMe", [])):
            raise CheckFailed("A's own share is listed as shared with A")

    def download(self):
        answer = expect(self.api.call("GET", self._share_path(), self.recipient), 200, "B's GET /shares/{id}")
        data = answer.data() or {}
        if data.get("from") != self.owner.username or data.get("id") != self.id or not data.get("url"):
            raise CheckFailed(f"expected the share's id, from A's username and a signed URL; got from {data.get('from')!r}")
        status, raw, _ = http("GET", data["url"])  # the URL as any HTTP client uses it: no AWS code
        if status != 200 or raw != EVERY_BYTE:
            raise CheckFailed(f"the signed URL answered {status} with {len(raw)} bytes, not the {len(EVERY_BYTE)} shared")
        expect(self.api.call("GET", self._share_path(), self.owner), 404, "A's GET of the share it made", "share_not_found")
        return "byte-identical; A's GET 404"

    def revoke(self):
        path = self._share_path()
        expect(self.api.call("DELETE", path, self.recipient), 404, "B's DELETE /shares/{id}", "share_not_found")
        expect(self.api.call("GET", path, self.recipient), 200, "B's GET after B's refused DELETE")
        expect(self.api.call("DELETE", path, self.owner), 204, "A's DELETE /shares/{id}")
        expect(self.api.call("GET", path, self.recipient), 404, "B's GET after A revoked", "share_not_found")
        listed = expect(self.api.call("GET", "/shares", self.recipient), 200, "B's GET /shares after A revoked")
        if any(s.get("id") == self.id for s in (listed.data() or {}).get("withMe", [])):
            raise CheckFailed("the revoked share is still in B's withMe")
        expect(self.api.call("DELETE", file_path(self.name), self.owner), 204, "A's DELETE of the original")


class Smoke:
    def __init__(self, target, routes, report):
        self.target = target
        self.routes = routes
        self.report = report
        self.api = Api(target)
        run = uuid.uuid4().hex[:10]
        self.run_id = run
        self.a = Identity("A", f"smoke-{run}-a")
        self.b = Identity("B", f"smoke-{run}-b")
        self.created_users = []
        self.trips = []

    # -------- setup

    def setup(self):
        r = self.report
        if not r.check("create two throw-away users", self.create_users):
            return False
        if not r.check("both users sign in (AdminInitiateAuth) and get ID tokens", self.sign_in):
            return False
        return bool(r.check("both exchange their ID tokens for their own identity-pool keys", self.exchange))

    def create_users(self):
        idp = self.target.client("cognito-idp")
        for user in (self.a, self.b):
            idp.admin_create_user(UserPoolId=self.target.settings["USER_POOL_ID"], Username=user.username,
                                  MessageAction="SUPPRESS")
            self.created_users.append(user)
            idp.admin_set_user_password(UserPoolId=self.target.settings["USER_POOL_ID"], Username=user.username,
                                        Password=user.password, Permanent=True)
        return f"{self.a.username}, {self.b.username}"

    def sign_in(self):
        for user in (self.a, self.b):
            user.token = self.target.sign_in(user.username, user.password)

    def exchange(self):
        for user in (self.a, self.b):
            user.identity_id, user.keys = self.target.exchange(user.token)
        if self.a.identity_id == self.b.identity_id:
            raise CheckFailed("both users got the same IdentityId")
        return f"A {self.a.identity_id}, B {self.b.identity_id}"

    # -------- the routes

    def routes_round_trip(self, user):
        """Every route of api.json, in the order of ROUTE_CHECKS, by `user` with `user`'s own keys."""
        checks, _ = plan(self.routes)
        checks = [c for c in checks if not c.between_users]
        trip = RoundTrip(self, user)
        steps = {
            "PUT /files/{name+}": trip.put_file,
            "GET /files": trip.list_files,
            "GET /files/{name+}": trip.download,
            "POST /upload-urls": trip.upload_url,
            "GET /read-file": trip.read_file,
            "DELETE /files/{name+}": trip.delete_files,
            "DELETE /files": lambda: trip.delete_by_id(self),
            "POST /uploads": trip.begin_upload,
            "POST /uploads/{upload}/parts": trip.upload_part,
            "GET /uploads": trip.list_uploads,
            "GET /uploads/{upload}": trip.upload_parts,
            "POST /uploads/{upload}/complete": trip.complete_upload,
            "DELETE /uploads/{upload}": trip.abandon_upload,
            "PUT /folders/{path+}": trip.make_folder,
            "POST /copies": trip.copy,
            "POST /moves": trip.move,
            "DELETE /folders/{path+}": trip.delete_folder,
        }
        self.trips.append(trip)
        for c in checks:
            self.report.check(f"{user.label}: {c.route}: {c.title}", steps[c.route])

    def sharing(self):
        """The routes between the two users, in the order of ROUTE_CHECKS: A shares with B."""
        checks, _ = plan(self.routes)
        steps = Sharing(self).steps()
        for c in (c for c in checks if c.between_users):
            self.report.check(f"A and B: {c.route}: {c.title}", steps[c.route])

    # -------- isolation

    def isolation(self):
        r = self.report
        r.check("API Gateway refuses an unsigned call (403 Missing Authentication Token)", self.unsigned_refused)
        r.check("the function refuses A's keys with B's token (403 identity_mismatch)", self.mixed_refused)
        r.check("S3 refuses A's keys on B's folder (list, get, put) and allows A's own", self.s3_refuses_other_prefix)

    def unsigned_refused(self):
        answer = self.api.unsigned("GET", "/files")
        message = answer.body.get("message") if isinstance(answer.body, dict) else None
        if answer.status != 403 or message != "Missing Authentication Token":
            raise CheckFailed(f"expected 403 Missing Authentication Token, got {answer.brief()}")

    def mixed_refused(self):
        expect(self.api.call("GET", "/files", self.a, token_of=self.b), 403, "A's keys + B's token", "identity_mismatch")

    def s3_refuses_other_prefix(self):
        from botocore.exceptions import ClientError

        # B's own file first, through the API with B's keys: there is something to refuse.
        expect(self.api.call("PUT", file_path("data.txt"), self.b, body=b"B's data\n", headers={"Content-Type": "text/plain"}),
               201, "B's PUT")
        s3 = self.target.client("s3", **self.a.boto_keys())
        bucket, prefix = self.target.settings["S3_BUCKET"], self.target.prefix
        own, other = f"{prefix}/{self.a.identity_id}/", f"{prefix}/{self.b.identity_id}/"
        s3.list_objects_v2(Bucket=bucket, Prefix=own)  # allowed: the refusals below are not a broken setup
        attempts = {
            "list": lambda: s3.list_objects_v2(Bucket=bucket, Prefix=other),
            "get": lambda: s3.get_object(Bucket=bucket, Key=other + "data.txt"),
            "put": lambda: s3.put_object(Bucket=bucket, Key=other + "planted.txt", Body=b"x"),
        }
        for what, attempt in attempts.items():
            try:
                attempt()
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code")
                if code != "AccessDenied":
                    raise CheckFailed(f"{what} on B's folder: {code}, expected AccessDenied") from None
            else:
                raise CheckFailed(f"{what} on B's folder with A's keys succeeded")
        return "AccessDenied x3"

    # -------- the user check

    def disabled_user(self):
        ttl, delivery = self.target.user_check_ttl, self.target.event_delivery
        if delivery:
            # The shared tier: the revocation event reaches the table, then each environment's own
            # verdict expires (docs/security.md, the revocation bound).
            what = f"within event delivery + USER_CHECK_TTL_SECONDS ({delivery} + {ttl} s)"
        else:
            what = f"within USER_CHECK_TTL_SECONDS ({ttl} s)"
        self.report.check(f"a disabled user is refused {what}", lambda: self._disabled(ttl + delivery))

    def _disabled(self, ttl):
        expect(self.api.call("GET", "/files", self.b), 200, "B before being disabled")  # B's verdict is cached now
        self.target.client("cognito-idp").admin_disable_user(UserPoolId=self.target.settings["USER_POOL_ID"],
                                                              Username=self.b.username)
        disabled_at = time.monotonic()
        deadline = disabled_at + ttl + SLACK_SECONDS
        last = None
        while time.monotonic() < deadline:
            last = self.api.call("GET", "/files", self.b)
            if last.status == 403 and last.code() == "user_disabled":
                return f"refused after {time.monotonic() - disabled_at:.1f} s"
            if last.status != 200:
                raise CheckFailed(f"expected 200 until refused, then 403 user_disabled; got {last.brief()}")
            time.sleep(0.5)
        raise CheckFailed(f"still served {ttl + SLACK_SECONDS} s after being disabled (last: {last.brief() if last else '-'})")

    # -------- cleanup: always

    def cleanup(self):
        r = self.report
        ids = [u.identity_id for u in (self.a, self.b) if u.identity_id]
        for trip in self.trips:
            if trip.unfinished:
                r.check(f"cleanup: {trip.user.label}'s unfinished uploads abandoned", trip.abandon_unfinished)
        r.check("cleanup: every object version in both users' folders and shared folders deleted",
                lambda: self.delete_objects(ids))
        if ids:
            r.check("cleanup: both identities deleted (DeleteIdentities)", lambda: self.delete_identities(ids))
        if self.created_users:
            r.check("cleanup: the users deleted (AdminDeleteUser)", self.delete_users)
        r.check("nothing left: no object version, identity or user of this run is listed", lambda: self.nothing_left(ids))

    def _folders(self, identity_id):
        """A user's own folder and the folder of what is shared with the user (the copies others made)."""
        return [f"{self.target.prefix}/{identity_id}/", f"{self.target.prefix}-shared/{identity_id}/"]

    def _versions(self, s3, prefix):
        keys = []
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=self.target.settings["S3_BUCKET"], Prefix=prefix):
            for v in page.get("Versions", []) + page.get("DeleteMarkers", []):
                keys.append({"Key": v["Key"], "VersionId": v["VersionId"]})
        return keys

    def delete_objects(self, ids):
        s3 = self.target.client("s3")
        removed = 0
        for identity_id in ids:
            keys = [k for folder in self._folders(identity_id) for k in self._versions(s3, folder)]
            for start in range(0, len(keys), 1000):
                result = s3.delete_objects(Bucket=self.target.settings["S3_BUCKET"],
                                           Delete={"Objects": keys[start:start + 1000], "Quiet": True})
                if result.get("Errors"):
                    raise CheckFailed(f"{len(result['Errors'])} version(s) not deleted: {result['Errors'][0].get('Code')}")
            removed += len(keys)
        return f"{removed} version(s) and delete marker(s)"

    def delete_identities(self, ids):
        result = self.target.client("cognito-identity").delete_identities(IdentityIdsToDelete=ids)
        if result.get("UnprocessedIdentityIds"):
            raise CheckFailed(f"not deleted: {result['UnprocessedIdentityIds']}")

    def delete_users(self):
        idp = self.target.client("cognito-idp")
        for user in list(self.created_users):
            idp.admin_delete_user(UserPoolId=self.target.settings["USER_POOL_ID"], Username=user.username)
            self.created_users.remove(user)

    def nothing_left(self, ids):
        s3 = self.target.client("s3")
        left = []
        for identity_id in ids:
            for folder in self._folders(identity_id):
                versions = self._versions(s3, folder)
                if versions:
                    left.append(f"{len(versions)} object version(s) under {folder}")
        listed = set()
        identity = self.target.client("cognito-identity")
        token = None
        while True:
            page = identity.list_identities(IdentityPoolId=self.target.settings["IDENTITY_POOL_ID"], MaxResults=60,
                                            **({"NextToken": token} if token else {}))
            listed.update(i["IdentityId"] for i in page.get("Identities", []))
            token = page.get("NextToken")
            if not token:
                break
        left += [f"identity {i}" for i in ids if i in listed]
        idp = self.target.client("cognito-idp")
        for user in (self.a, self.b):
            try:
                idp.admin_get_user(UserPoolId=self.target.settings["USER_POOL_ID"], Username=user.username)
                left.append(f"user {user.username}")
            except idp.exceptions.UserNotFoundException:
                pass
        if left:
            raise CheckFailed("left behind: " + "; ".join(left))
        return f"{2 * len(ids)} folders, {len(ids)} identities and 2 users checked"


def _terminate(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=("auto", "deploy", "local"), default=os.environ.get("SMOKE_TARGET") or "auto")
    parser.add_argument("--outputs", type=Path, default=targets.DEPLOY_OUTPUTS)
    parser.add_argument("--local-env", type=Path, default=targets.LOCAL_STACK_ENV)
    parser.add_argument("--api-file", type=Path, default=API_FILE)
    parser.add_argument("--plan-only", action="store_true", help="print the route checks and exit (no AWS call)")
    args = parser.parse_args(argv)

    routes = load_routes(args.api_file)
    checks, unknown = plan(routes)
    if args.plan_only:
        for c in checks:
            print(f"route {c.route}: {c.title}")
        for route in unknown:
            print(f"FAIL {route}: api.json has this route and the smoke check has no check for it")
        return 1 if unknown else 0

    try:
        target = targets.load(args.target, outputs=args.outputs, local_env=args.local_env)
    except targets.SettingsError as error:
        print(f"smoke: {error}", file=sys.stderr)
        return 2
    print(f"smoke: {target.kind} stack ({targets._rel(target.source)}), API {target.api_url}, "
          f"{len(routes)} routes, user check TTL {target.user_check_ttl} s", flush=True)

    signal.signal(signal.SIGTERM, _terminate)
    started = time.monotonic()
    report = Report()
    smoke = Smoke(target, routes, report)
    try:
        for route in unknown:  # reported first, and the rest still runs
            report.fail(route, "api.json has this route and the smoke check has no check for it (infra/deploy/smoke.py ROUTE_CHECKS)")
        if smoke.setup():
            smoke.routes_round_trip(smoke.a)
            smoke.routes_round_trip(smoke.b)
            smoke.sharing()
            smoke.isolation()
            smoke.disabled_user()  # last: B cannot call afterwards
    except KeyboardInterrupt:
        report.fail("run", "interrupted; cleaning up")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the cleanup finish
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        smoke.cleanup()
    print(f"smoke: {report.passed} passed, {report.failed} failed ({target.kind}, {time.monotonic() - started:.0f} s)")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
