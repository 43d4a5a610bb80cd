"""CORS as AWS answers it, for a browser app calling the local stack (examples/web).

moto's server wraps every service in flask_cors, which echoes any Origin on every answer, and our
auth layer refuses the browser's preflight (`OPTIONS` never carries a signature). This middleware
owns CORS instead (server.py also switches flask_cors off, MOTO_DISABLE_GLOBAL_CORS):

- Cognito (the JSON services: requests carry `X-Amz-Target`, preflights ask for it): the public
  endpoints answer any origin. Preflight: 200, `Access-Control-Allow-Origin: *`, the asked method
  and headers, `Access-Control-Max-Age: 172800`; answers: `Access-Control-Allow-Origin: *` and the
  `x-amzn-*` headers exposed, so the SDK reads error types.
- S3: only the bucket's CORS configuration decides ("How Amazon S3 evaluates the CORS
  configuration"): the first rule whose AllowedOrigins matches the Origin (one `*` wildcard
  allowed), whose AllowedMethods has the (requested) method, and whose AllowedHeaders match every
  requested header (case-insensitive, `*` wildcards). Preflight without a match: 403
  `AccessForbidden` "CORSResponse: ..." and no CORS headers. An answer without a match carries no
  CORS headers (the browser then hides it), never a permissive echo.
"""

import re
from xml.sax.saxutils import escape

from moto.core import DEFAULT_ACCOUNT_ID

_COGNITO_EXPOSED = "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date"
_COGNITO_MAX_AGE = "172800"
_NOT_ALLOWED = ("CORSResponse: This CORS request is not allowed. This is usually because the evalution of "
                "Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers "
                "are not whitelisted by the resource's CORS spec.")
_NOT_ENABLED = "CORSResponse: CORS is not enabled for this bucket."


def _wildcard(pattern, value, ignore_case=False):
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), value) is not None


def _requested_headers(environ):
    raw = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "")
    return [h.strip().lower() for h in raw.split(",") if h.strip()]


def matching_rule(rules, origin, method, headers=()):
    """The first S3 CORS rule (moto CorsRule) allowing `origin`, `method` and every header, else None."""
    for rule in rules or ():
        if not any(_wildcard(o, origin) for o in rule.allowed_origins or ()):
            continue
        if method not in (rule.allowed_methods or ()):
            continue
        allowed = rule.allowed_headers or ()
        if all(any(_wildcard(a, h, ignore_case=True) for a in allowed) for h in headers):
            return rule
    return None


def _bucket_rules(path):
    from moto.s3.models import s3_backends

    name = path.lstrip("/").split("/", 1)[0]
    bucket = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].buckets.get(name) if name else None
    return None if bucket is None else (bucket.cors or [])


def _s3_headers(rule, origin):
    wildcard = rule.allowed_origins == ["*"]
    headers = [("Access-Control-Allow-Origin", "*" if wildcard else origin),
               ("Access-Control-Allow-Methods", ", ".join(rule.allowed_methods))]
    if not wildcard:
        headers.append(("Access-Control-Allow-Credentials", "true"))
    if rule.exposed_headers:
        headers.append(("Access-Control-Expose-Headers", ", ".join(rule.exposed_headers)))
    if rule.max_age_seconds is not None:
        headers.append(("Access-Control-Max-Age", str(rule.max_age_seconds)))
    return headers


class CorsMiddleware:
    """WSGI middleware: answers preflights and sets the CORS headers of answers (see module doc)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        origin = environ.get("HTTP_ORIGIN")
        if path.startswith(("/moto-ext/", "/moto-api")) or not origin:
            return self.app(environ, start_response)
        cognito = "HTTP_X_AMZ_TARGET" in environ or "x-amz-target" in _requested_headers(environ)
        method = environ.get("REQUEST_METHOD")
        if method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ:
            return self._preflight(environ, start_response, path, origin, cognito)
        if cognito:
            extra = [("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", _COGNITO_EXPOSED)]
        else:
            rules = _bucket_rules(path)
            rule = matching_rule(rules, origin, method) if rules else None
            extra = (_s3_headers(rule, origin) if rule else []) + [("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")]

        def start(status, headers, exc_info=None):
            kept = [(k, v) for k, v in headers if not k.lower().startswith("access-control-") and k.lower() != "vary"]
            return start_response(status, kept + extra, exc_info)

        return self.app(environ, start)

    def _preflight(self, environ, start_response, path, origin, cognito):
        asked_method = environ["HTTP_ACCESS_CONTROL_REQUEST_METHOD"]
        asked_headers = _requested_headers(environ)
        if cognito:
            headers = [("Access-Control-Allow-Origin", "*"),
                       ("Access-Control-Allow-Methods", asked_method),
                       ("Access-Control-Allow-Headers", ", ".join(asked_headers)),
                       ("Access-Control-Max-Age", _COGNITO_MAX_AGE)]
            return _answer(start_response, "200 OK", headers, b"")
        rules = _bucket_rules(path)
        rule = matching_rule(rules, origin, asked_method, asked_headers) if rules else None
        if rule is None:
            message = _NOT_ENABLED if not rules else _NOT_ALLOWED
            body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessForbidden</Code>'
                    f"<Message>{message}</Message><Method>{escape(asked_method)}</Method>"
                    "<ResourceType>OBJECT</ResourceType></Error>").encode()
            return _answer(start_response, "403 Forbidden", [("Content-Type", "application/xml")], body)
        headers = _s3_headers(rule, origin)
        if asked_headers:
            headers.append(("Access-Control-Allow-Headers", ", ".join(asked_headers)))
        headers.append(("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"))
        return _answer(start_response, "200 OK", headers, b"")


def _answer(start_response, status, headers, body):
    start_response(status, headers + [("Content-Length", str(len(body)))])
    return [body]

