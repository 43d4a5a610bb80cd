"""Counts every call to moto and injects faults into it; the test-only control endpoints that read
and steer both, as WSGI middleware around moto's server app.

  GET    /moto-ext/health        {"status": "ok", "pid": n, "auth_enforced": bool}
  GET    /moto-ext/calls         {"cognito-identity:GetId": n, "s3:GetObject": n, ...}
  POST   /moto-ext/calls/reset   zero the counters
  GET    /moto-ext/faults        the active faults
  POST   /moto-ext/faults        {"target": "cognito-identity:GetId" | "s3:*", "kind":
                                  "throttle" | "error" | "delay", "status": 500, "delay_ms": 3000,
                                  "count": 2}   (count absent: until cleared)
  DELETE /moto-ext/faults        clear every fault

Every control request (these, the gateway's, moto's own /moto-api/...) is refused (403) when it
carries an `Origin` header or lacks the per-stack secret (`X-Local-Stack-Secret`).

Every request to moto is counted under "<service>:<Operation>"; the user pools' JWKS documents
count as "cognito-idp:JWKS". Bodies are read only for the query protocol (IAM, STS), whose
Action may sit in a form body; nothing is logged.
"""

import hmac
import io
import json
import os
import threading
import time
from collections import Counter
from urllib.parse import parse_qs

from moto import settings
from stack_client import SECRET_HEADER

_TARGET_PREFIXES = {
    "AWSCognitoIdentityService": "cognito-identity",
    "AWSCognitoIdentityProviderService": "cognito-idp",
    "DynamoDB_20120810": "dynamodb",
}
_JSON_SERVICES = {"cognito-identity", "cognito-idp"}
# DynamoDB's JSON protocol: version 1.0, error types in its own namespace.
_DYNAMODB_ERRORS = "com.amazonaws.dynamodb.v20120810#"
_KINDS = {"throttle", "error", "delay"}


def operation_of(environ):
    """"service:Operation" of a request to moto, or None for moto's own endpoints."""
    path = environ.get("PATH_INFO", "")
    if path.startswith("/moto-api"):
        return None
    if path.endswith("/.well-known/jwks.json"):
        return "cognito-idp:JWKS"
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        prefix, _, operation = target.rpartition(".")
        return f"{_TARGET_PREFIXES.get(prefix, prefix.lower())}:{operation}"
    # Signed: "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/s3/aws4_request, ..."
    scope = environ.get("HTTP_AUTHORIZATION", "").split("Credential=", 1)[-1].split(",", 1)[0].split("/")
    service = scope[3] if len(scope) == 5 else "s3"  # unsigned and without a target: S3
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if service == "s3":
        return "s3:" + _s3_operation(environ, path, query)
    action = query.get("Action") or _form(environ).get("Action") or ["Unknown"]
    return f"{service}:{action[0]}"


def _form(environ):
    """Parse a form body and put it back for moto."""
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return {}
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    environ["wsgi.input"] = io.BytesIO(body)
    return parse_qs(body.decode("utf-8", "replace"))


def _s3_operation(environ, path, query):
    method = environ.get("REQUEST_METHOD", "GET")
    bucket, _, key = path.lstrip("/").partition("/")
    if not bucket:
        return "ListBuckets"
    if key:
        if "uploads" in query and method == "POST":
            return "CreateMultipartUpload"
        if "uploadId" in query:
            if method == "PUT":
                return "UploadPartCopy" if "HTTP_X_AMZ_COPY_SOURCE" in environ else "UploadPart"
            return {"GET": "ListParts", "POST": "CompleteMultipartUpload",
                    "DELETE": "AbortMultipartUpload"}.get(method, method)
        if method == "PUT" and "HTTP_X_AMZ_COPY_SOURCE" in environ:
            return "CopyObject"
        return {"GET": "GetObject", "HEAD": "HeadObject", "PUT": "PutObject", "DELETE": "DeleteObject"}.get(method, method)
    if method == "GET":
        if query.get("list-type") == ["2"]:
            return "ListObjectsV2"
        if "uploads" in query:
            return "ListMultipartUploads"
        return "GetBucket" + next(iter(query)).capitalize() if query else "ListObjects"
    if method == "POST" and "delete" in query:
        return "DeleteObjects"
    return {"HEAD": "HeadBucket", "PUT": "CreateBucket", "DELETE": "DeleteBucket"}.get(method, method)


def _fault_response(operation, kind, status, code=None, message=None):
    """What AWS answers when throttling or failing, in the operation's protocol. `code` and
    `message` name a specific service error (e.g. S3's ExpiredToken) instead of a generic one."""
    service = operation.split(":", 1)[0]
    if operation == "cognito-idp:JWKS":  # a static document behind a CDN, not an API
        status = 429 if kind == "throttle" else status
        return status, "application/json", json.dumps({"message": "fault injected"})
    if service == "dynamodb":
        if kind == "throttle":
            code, message = "ThrottlingException", "Rate of requests exceeds the allowed throughput."
        else:
            code, message = code or "InternalServerError", message or "Internal server error (injected)"
        body = {"__type": _DYNAMODB_ERRORS + code, "message": message}
        return (400 if kind == "throttle" else status), "application/x-amz-json-1.0", json.dumps(body)
    if service in _JSON_SERVICES:
        if kind == "throttle":
            code, message = "TooManyRequestsException", "Rate exceeded"
        else:
            code, message = code or "InternalErrorException", message or "Internal error (injected)"
        body = {"__type": code, "message": message}
        return (400 if kind == "throttle" else status), "application/x-amz-json-1.1", json.dumps(body)
    if service == "s3":
        if kind == "throttle":
            code, message = "SlowDown", "Please reduce your request rate."
        else:
            code = code or "InternalError"
            message = message or "We encountered an internal error. Please try again."
        body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
        return (503 if kind == "throttle" else status), "application/xml", body
    code = "Throttling" if kind == "throttle" else "InternalFailure"
    body = f"<ErrorResponse><Error><Type>{'Sender' if kind == 'throttle' else 'Receiver'}</Type><Code>{code}</Code><Message>{code}</Message></Error></ErrorResponse>"
    return (400 if kind == "throttle" else status), "text/xml", body


def _parse_fault(raw):
    """A validated fault from a POST body, or raise ValueError with the reason."""
    fault = json.loads(raw or b"null")
    if not isinstance(fault, dict):
        raise ValueError("body must be a JSON object")
    target, kind = fault.get("target"), fault.get("kind")
    if not isinstance(target, str) or ":" not in target:
        raise ValueError('"target" must be "service:Operation" or "service:*"')
    if kind not in _KINDS:
        raise ValueError(f'"kind" must be one of {sorted(_KINDS)}')
    status, delay_ms, count = fault.get("status", 500), fault.get("delay_ms", 0), fault.get("count")
    if not isinstance(status, int) or not 400 <= status <= 599:
        raise ValueError('"status" must be an integer in 400..599')
    if not isinstance(delay_ms, int) or not 0 <= delay_ms <= 60_000:
        raise ValueError('"delay_ms" must be an integer in 0..60000')
    if count is not None and (not isinstance(count, int) or count < 1):
        raise ValueError('"count" must be a positive integer or absent')
    code, message = fault.get("code"), fault.get("message")
    if code is not None and (kind != "error" or not isinstance(code, str) or not code.isalnum()):
        raise ValueError('"code" goes with kind "error" and must be an alphanumeric error code')
    if message is not None and (code is None or not isinstance(message, str) or len(message) > 200):
        raise ValueError('"message" goes with "code" and must be a string of at most 200 characters')
    return {"target": target, "kind": kind, "status": status, "delay_ms": delay_ms, "count": count,
            "code": code, "message": message}


# Paths of the control endpoints: ours, and moto's own (/moto-api/reset-auth switches IAM off,
# /moto-api/data.json shows every key).
CONTROL_PATHS = ("/moto-ext/", "/moto-api")
_SECRET_KEY = "HTTP_" + SECRET_HEADER.upper().replace("-", "_")  # its WSGI environ key


def control_refusal(environ, secret):
    """Why a request to a control endpoint is refused, or None. A web page the developer visits can
    send requests to 127.0.0.1 (and read answers after DNS rebinding): it cannot leave out the
    `Origin` header a browser adds, nor know the per-stack secret."""
    if "HTTP_ORIGIN" in environ:
        return "control endpoints refuse requests with an Origin header (a browser's)"
    sent = environ.get(_SECRET_KEY, "")
    if not secret or not hmac.compare_digest(sent.encode(), secret.encode()):
        return "control endpoints need the stack's secret (X-Local-Stack-Secret, from .local/fixtures.env)"
    return None


class ControlMiddleware:
    def __init__(self, app, extra=None, secret=None):
        self.app = app
        self.secret = secret
        self.lock = threading.Lock()
        self.calls = Counter()
        self.faults = []
        # (method, path) -> handler(body bytes) -> (status, JSON value): endpoints of other parts
        # of the stack (the API gateway), served here in the same style.
        self.extra = dict(extra or {})

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith(CONTROL_PATHS):
            refusal = control_refusal(environ, self.secret)
            if refusal:
                return _json(start_response, 403, {"error": refusal})
        if environ.get("PATH_INFO", "").startswith("/moto-ext/"):
            return self._control(environ, start_response)
        operation = operation_of(environ)
        fault = None
        if operation:
            with self.lock:
                self.calls[operation] += 1
                fault = self._take_fault(operation)
        if fault and fault["kind"] == "delay":
            time.sleep(fault["delay_ms"] / 1000)
        elif fault:
            status, content_type, body = _fault_response(
                operation, fault["kind"], fault["status"], fault["code"], fault["message"])
            return _respond(start_response, status, body, content_type)
        return self.app(environ, start_response)

    def _take_fault(self, operation):
        service = operation.split(":", 1)[0]
        for fault in self.faults:
            if fault["target"] in (operation, f"{service}:*"):
                if fault["count"] is not None:
                    fault["count"] -= 1
                    if fault["count"] == 0:
                        self.faults.remove(fault)
                return dict(fault)
        return None

    def _control(self, environ, start_response):
        method, path = environ.get("REQUEST_METHOD"), environ["PATH_INFO"].rstrip("/")
        handler = self.extra.get((method, path))
        if handler:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            status, value = handler(environ["wsgi.input"].read(length) if length else b"")
            return _json(start_response, status, value)
        with self.lock:
            if (method, path) == ("GET", "/moto-ext/health"):
                return _json(start_response, 200, {
                    "status": "ok",
                    "pid": os.getpid(),
                    "auth_enforced": settings.INITIAL_NO_AUTH_ACTION_COUNT == 0,
                })
            if (method, path) == ("GET", "/moto-ext/calls"):
                return _json(start_response, 200, dict(sorted(self.calls.items())))
            if (method, path) == ("POST", "/moto-ext/calls/reset"):
                self.calls.clear()
                return _json(start_response, 200, {})
            if (method, path) == ("GET", "/moto-ext/faults"):
                return _json(start_response, 200, self.faults)
            if (method, path) == ("DELETE", "/moto-ext/faults"):
                self.faults.clear()
                return _json(start_response, 200, [])
            if (method, path) == ("POST", "/moto-ext/faults"):
                length = int(environ.get("CONTENT_LENGTH") or 0)
                try:
                    fault = _parse_fault(environ["wsgi.input"].read(length))
                except ValueError as error:
                    return _json(start_response, 400, {"error": str(error)})
                self.faults.append(fault)
                return _json(start_response, 200, fault)
        return _json(start_response, 404, {"error": f"no control endpoint {method} {path}"})


def _json(start_response, status, value):
    return _respond(start_response, status, json.dumps(value), "application/json")


def _respond(start_response, status, body, content_type):
    data = body.encode("utf-8")
    reasons = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests",
               503: "Slow Down"}
    start_response(
        f"{status} {reasons.get(status, 'Error')}",
        [("Content-Type", content_type), ("Content-Length", str(len(data)))],
    )
    return [data]
