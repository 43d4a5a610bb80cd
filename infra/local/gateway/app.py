"""The local REST API Gateway: stage, routes and CORS from infra/api/api.json, SigV4 + AWS_IAM
authorization against the local stack's STS/IAM, a REST v1 proxy event to the function's Lambda
Invoke API (`cargo lambda watch`), and API Gateway's own answers. See infra/local/README.md.
"""

import datetime
import http.client
import json
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from botocore.utils import normalize_url_path

from . import auth, event
from .auth import AuthError, Request

INTEGRATION_TIMEOUT = 29.0  # seconds: API Gateway's maximum integration timeout (REST, default)
FUNCTION_NAME = "read-file"  # cargo lambda watch names the function after the binary


class TokenBucket:
    """The stage's throttle: `rate` tokens/s refill a bucket of `burst`; a request takes one."""

    def __init__(self, rate, burst, clock=time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.lock = threading.Lock()
        self.tokens, self.updated = float(burst), clock()

    def reset(self):
        with self.lock:
            self.tokens, self.updated = float(self.burst), self.clock()

    def take(self):
        with self.lock:
            now = self.clock()
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


class Gateway:
    """One REST API stage. `resolve(access_key, token)` finds the signer (principals.resolve in the
    stack; a fake in unit tests); `evaluate(documents, action, resource, context)` is the IAM evaluator."""

    def __init__(self, api, *, region, api_id, account_id, function_url, resolve, evaluate,
                 function_name=FUNCTION_NAME, timeout=INTEGRATION_TIMEOUT, clock=None):
        self.api, self.region, self.api_id, self.account_id = api, region, api_id, account_id
        self.function_url, self.function_name, self.timeout = function_url.rstrip("/"), function_name, timeout
        self.resolve, self.evaluate = resolve, evaluate
        self.clock = clock or (lambda: datetime.datetime.now(datetime.timezone.utc))
        self.bucket = TokenBucket(api.rate_limit, api.burst_limit)
        self.lock = threading.Lock()
        self.counters = {"requests": 0, "invocations": 0}
        self.connections = threading.local()  # one keep-alive connection to the function per thread
        self.last_event_shape = None  # keys and value types of the last event sent, never values

    # ------------------------------------------------------------ control (test-only endpoints)

    def stats(self):
        with self.lock:
            return {**self.counters, "function_url": self.function_url, "timeout": self.timeout,
                    "last_event_shape": self.last_event_shape}

    def reset(self):
        with self.lock:
            self.counters = {k: 0 for k in self.counters}
        self.bucket.reset()

    def configure(self, function_url=None, timeout=None):
        if function_url is not None:
            self.function_url = function_url.rstrip("/")
        if timeout is not None:
            self.timeout = float(timeout)

    # ------------------------------------------------------------ one request

    def handle(self, request: Request, source_ip="127.0.0.1"):
        """(status, [(header, value)], body bytes) for one request."""
        request_id = str(uuid.uuid4())
        with self.lock:
            self.counters["requests"] += 1
        try:
            return self._handle(request, source_ip, request_id)
        except _Answer as answer:
            return self._gateway_response(answer.status, answer.error_type, answer.message, request_id)
        except Exception as error:  # a bug of ours: API Gateway's own 500, the type (never a value) logged
            print(f"gateway: {request.method} {request.path}: {type(error).__name__}", file=sys.stderr, flush=True)
            return self._gateway_response(500, "InternalServerErrorException", "Internal server error", request_id)

    def _handle(self, request, source_ip, request_id):
        if not is_normal(request.path):
            missing = auth.missing_token()
            raise _Answer(403, missing.error_type, missing.message)
        stage_prefix = f"/{self.api.stage}"
        if request.path != stage_prefix and not request.path.startswith(stage_prefix + "/"):
            raise _Answer(403, "ForbiddenException", "Forbidden")
        resource = unquote(request.path[len(stage_prefix):]) or "/"
        if request.method == "OPTIONS" and self.api.has_path(resource):
            if not self.bucket.take():
                raise _Answer(429, "TooManyRequestsException", "Too Many Requests")
            return self._preflight(request_id)
        route, params = self.api.route(request.method, resource)
        if route is None:
            missing = auth.missing_token()
            raise _Answer(403, missing.error_type, missing.message)
        if not self.bucket.take():
            raise _Answer(429, "TooManyRequestsException", "Too Many Requests")
        principal = self._authenticate(request)
        # The ARN names the request's own path (resources are matched on it, with wildcards).
        resource_arn = (f"arn:aws:execute-api:{self.region}:{self.account_id}:{self.api_id}/"
                        f"{self.api.stage}/{route.method}{resource}")
        decision = self.evaluate(principal.documents, "execute-api:Invoke", resource_arn, principal.context)
        if decision != "Allow":
            reason = ("with an explicit deny in an identity-based policy" if decision == "Deny"
                      else "because no identity-based policy allows the execute-api:Invoke action")
            raise _Answer(403, "AccessDeniedException",
                          f"User: {principal.arn} is not authorized to perform: execute-api:Invoke "
                          f"on resource: {resource_arn} {reason}")
        proxy_event = event.build(request, api=self.api, route=route, path=resource, path_parameters=params,
                                  api_id=self.api_id,
                                  account_id=self.account_id, principal=principal, source_ip=source_ip,
                                  request_id=request_id, now=self.clock())
        status, headers, body = self._invoke(proxy_event, request.header("accept"))
        headers = [(k, v) for k, v in headers if k.lower() not in ("content-length", "connection")]
        return status, headers + self._standard_headers(request_id), body

    def _authenticate(self, request):
        try:
            signature = auth.parse(request)
            auth.check_scope(signature, self.region, self.clock())
            principal = self.resolve(signature.access_key, signature.security_token)
            auth.verify(request, signature, principal.secret_key)
            return principal
        except AuthError as error:
            raise _Answer(403, error.error_type, error.message) from None

    def _invoke(self, proxy_event, accept):
        data = json.dumps(proxy_event).encode()
        event_shape = shape(proxy_event)  # outside the lock the counters share
        with self.lock:
            self.counters["invocations"] += 1
            self.last_event_shape = event_shape
        started = time.monotonic()
        try:
            status, failed, payload = self._post(data)
        except (TimeoutError, OSError, http.client.HTTPException) as error:
            timed_out = isinstance(error, TimeoutError) or "timed out" in str(error)
            if timed_out or time.monotonic() - started >= self.timeout:
                raise _Answer(504, "IntegrationTimeout", "Endpoint request timed out") from None
            raise _Answer(502, "InternalServerErrorException", "Internal server error") from None
        if status != 200 or failed:
            raise _Answer(502, "InternalServerErrorException", "Internal server error")
        try:
            return event.map_response(payload, api=self.api, accept=accept)
        except event.BadProxyResponse:
            raise _Answer(502, "InternalServerErrorException", "Internal server error") from None

    def _post(self, data):
        """POST the event to the function's Invoke API over this thread's keep-alive connection
        (never through a proxy from the environment): (status, X-Amz-Function-Error, payload)."""
        target = urlsplit(self.function_url)
        path = f"{target.path}/2015-03-31/functions/{self.function_name}/invocations"
        headers = {"Content-Type": "application/json"}
        for attempt in (1, 2):
            connection, reused = self._connection(target)
            try:
                connection.request("POST", path, body=data, headers=headers)
                response = connection.getresponse()
                payload = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                connection.close()
                self.connections.current = None
                if reused and attempt == 1:
                    continue  # the function's end closed an idle keep-alive connection: a new one
                raise
            except BaseException:
                connection.close()
                self.connections.current = None
                raise
            if response.will_close:
                connection.close()
                self.connections.current = None
            return response.status, response.getheader("X-Amz-Function-Error"), payload
        raise AssertionError("unreachable")

    def _connection(self, target):
        current = getattr(self.connections, "current", None)
        key = (target.hostname, target.port, self.timeout)
        if current is not None and current[0] == key:
            return current[1], True
        if current is not None:
            current[1].close()
        connection = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=self.timeout)
        connection.connect()
        # http.client sends the headers and the body in two writes: with Nagle's algorithm the body
        # waits for the function's delayed ACK (~40 ms).
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connections.current = (key, connection)
        return connection, False

    def _preflight(self, request_id):
        # What CDK's addCorsPreflight MOCK integration answers (one origin: Vary: Origin).
        cors = self.api.cors
        headers = [
            ("Access-Control-Allow-Headers", ",".join(cors["allowHeaders"])),
            ("Access-Control-Allow-Origin", cors["allowOrigins"][0]),
            ("Vary", "Origin"),
            ("Access-Control-Allow-Methods", ",".join(cors["allowMethods"])),
            ("Access-Control-Max-Age", str(cors["maxAgeSeconds"])),
        ]
        return 204, headers + self._standard_headers(request_id), b""

    def _gateway_response(self, status, error_type, message, request_id):
        # The deployed API's DEFAULT_4XX / DEFAULT_5XX gateway responses add these CORS headers.
        headers = [
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", error_type),
            ("Access-Control-Allow-Origin", self.api.cors["allowOrigins"][0]),
            ("Vary", "Origin"),
        ]
        body = json.dumps({"message": message}, separators=(",", ":")).encode()
        return status, headers + self._standard_headers(request_id), body

    @staticmethod
    def _standard_headers(request_id):
        return [("x-amzn-RequestId", request_id), ("x-amz-apigw-id", request_id.replace("-", "")[:16])]


def is_normal(raw_path):
    """True when normalising (dot segments, repeated slashes) changes neither the path as received
    nor the path decoded once: then the signature (SigV4 normalises), the route, IAM's resource and
    the event all name the same path. Encoded dots and slashes count once decoded (`%2e%2e`, `a%2F..`).
    API Gateway's answer to other paths is undocumented: the gateway refuses them."""
    decoded = unquote(raw_path)
    return all(normalize_url_path(path) == path for path in (raw_path, decoded))


def shape(value):
    """`value` with every leaf replaced by its JSON type name: dict keys survive, values do not."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value[:1]]
    return {str: "string", bool: "boolean", int: "number", float: "number", type(None): "null"}[type(value)]


class _Answer(Exception):
    def __init__(self, status, error_type, message):
        super().__init__(message)
        self.status, self.error_type, self.message = status, error_type, message


# ---------------------------------------------------------------- HTTP server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as API Gateway
    # Headers and body leave in separate writes: without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK add ~40 ms to every keep-alive response.
    disable_nagle_algorithm = True
    server_version, sys_version = "local-apigateway", ""
    gateway: Gateway = None  # set on the subclass made by serve()

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        request = Request(self.command, path, query, list(self.headers.items()), body)
        status, headers, data = self.gateway.handle(request, self.client_address[0])
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

    def log_request(self, code="-", size="-"):
        # Method, path (no query: a query-string signature carries a session token) and status. A
        # request line too malformed to parse has neither (http.server sets no path for it).
        path = getattr(self, "path", None) or "-"
        self.log_message('"%s %s" %s', self.command or "-", path.split("?", 1)[0], code)

    def log_error(self, format, *args):
        # http.server's own error messages quote the raw request line, query string included
        # ("Bad request syntax ('GET /v1/x?X-Amz-Security-Token=...')"): the status is logged, and
        # log_request above logs the line without its query.
        self.log_message("error %s", args[0] if args else "-")


def serve(gateway, host, port):
    """A threaded HTTP server for `gateway` (not started); raises OSError when the port is taken."""
    handler = type("GatewayHandler", (_Handler,), {"gateway": gateway})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
