"""The REST (v1) Lambda proxy event API Gateway builds, and the mapping of the proxy response.

Shape: AWS's "Input format of a Lambda function for proxy integration" (REST APIs) and the
aws_lambda_events fixtures (example-apigw-request.json); tests/test_event_shape.py pins the keys.
"""

import base64
import datetime
import fnmatch
import json
import uuid

from .auth import Request


def _media_matches(content_type, patterns):
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return bool(media) and any(fnmatch.fnmatchcase(media, p.lower()) for p in patterns)


def build(request: Request, *, api, route, api_id, account_id, principal, source_ip, request_id, now=None,
          path=None, path_parameters=None):
    """The proxy event for `request` on `route` of stage `api.stage`; `path` is the decoded request
    path without the stage (default: the route's), `path_parameters` what the route's {names} matched."""
    path = path or route.path
    now = now or datetime.datetime.now(datetime.timezone.utc)
    headers, multi_headers = {}, {}
    for name, value in request.headers:
        # One key per header name as sent (the first spelling); the single-value map keeps the last value.
        key = next((k for k in multi_headers if k.lower() == name.lower()), name)
        multi_headers.setdefault(key, []).append(value)
        headers[key] = value
    forwarded = {
        "X-Forwarded-For": source_ip,
        "X-Forwarded-Port": str(request_port(request)),
        "X-Forwarded-Proto": "http",
        "X-Amzn-Trace-Id": f"Root=1-{int(now.timestamp()):08x}-{uuid.uuid4().hex[:24]}",
    }
    for name, value in forwarded.items():
        headers[name] = value
        multi_headers[name] = [value]
    query = request.query_pairs()  # API Gateway decodes only %XX; '+' stays '+'
    single_query, multi_query = {}, {}
    for key, value in query:
        single_query[key] = value
        multi_query.setdefault(key, []).append(value)
    binary = _media_matches(request.header("content-type"), api.binary_media_types)
    if request.body:
        body = base64.b64encode(request.body).decode() if binary else request.body.decode("utf-8", "replace")
    else:
        body = None
    host = request.header("host") or ""
    cognito = principal.cognito_identity_id is not None
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": single_query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": _resource_id(route.path),
            "resourcePath": route.path,
            "httpMethod": request.method,
            "extendedRequestId": base64.b64encode(uuid.uuid4().bytes[:12]).decode().rstrip("="),
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": request.path,  # as received, with the stage
            "accountId": account_id,
            "protocol": "HTTP/1.1",
            "stage": api.stage,
            "domainPrefix": host.split(".", 1)[0].split(":", 1)[0],
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": principal.cognito_pool_id,
                "accountId": principal.account_id,
                "cognitoIdentityId": principal.cognito_identity_id,
                "caller": principal.user_id,
                "sourceIp": source_ip,
                "principalOrgId": None,
                "accessKey": principal.access_key,
                "cognitoAuthenticationType": "authenticated" if cognito else None,
                "cognitoAuthenticationProvider": principal.cognito_provider,
                "userArn": principal.arn,
                "userAgent": request.header("user-agent"),
                "user": principal.user_id,
            },
            "domainName": host,
            "apiId": api_id,
        },
        "body": body,
        "isBase64Encoded": binary and bool(request.body),
    }


def request_port(request):
    host = request.header("host") or ""
    return int(host.rsplit(":", 1)[1]) if ":" in host and host.rsplit(":", 1)[1].isdigit() else 80


def _resource_id(text):
    """A stable 6-character id (API Gateway's resource ids are 6 lowercase letters and digits)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, text).hex[:6]


class BadProxyResponse(Exception):
    """The function answered something API Gateway cannot map: it answers 502."""


def map_response(payload: bytes, *, api, accept):
    """(status, [(header, value)], body bytes) from the function's proxy response."""
    try:
        response = json.loads(payload)
    except ValueError:
        raise BadProxyResponse("not JSON") from None
    if not isinstance(response, dict):
        raise BadProxyResponse("not an object")
    allowed = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded", "cookies"}
    if set(response) - allowed:
        raise BadProxyResponse(f"unexpected fields {sorted(set(response) - allowed)}")
    status = response.get("statusCode", 200)
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise BadProxyResponse("statusCode")
    headers = response.get("headers") or {}
    multi = response.get("multiValueHeaders") or {}
    if not isinstance(headers, dict) or not isinstance(multi, dict):
        raise BadProxyResponse("headers")
    out = []
    multi_names = {k.lower() for k in multi}
    for name, values in multi.items():
        if not isinstance(values, list):
            raise BadProxyResponse("multiValueHeaders")
        out.extend((name, str(v)) for v in values)
    out.extend((name, str(v)) for name, v in headers.items() if name.lower() not in multi_names)
    body = response.get("body")
    if body is None:
        data = b""
    elif not isinstance(body, str):
        raise BadProxyResponse("body must be a string")
    elif response.get("isBase64Encoded") and _media_matches(accept.split(",", 1)[0] if accept else "", api.binary_media_types):
        # Decoded only when the request's Accept (first type) is a binary media type of the API, as
        # API Gateway does; otherwise the base64 text is passed through unchanged.
        try:
            data = base64.b64decode(body, validate=True)
        except ValueError:
            raise BadProxyResponse("isBase64Encoded body is not base64") from None
    else:
        data = body.encode("utf-8")
    return status, out, data
