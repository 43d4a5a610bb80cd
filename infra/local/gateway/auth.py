"""A signed request as API Gateway (service `execute-api`) checks it: the signature's parts from
the Authorization header or the query string, the scope and time checks, the key, and API
Gateway's answers for each refusal.

What is signed (canonical request, string to sign, signature) comes from `moto_ext/sigv4.py`,
the SigV4 module the stack's S3 presigned URLs use too: the raw (still percent-encoded) path
encoded once more (non-S3 services double-encode), the query decoded to bytes and re-encoded, the
headers the client listed in SignedHeaders, and the SHA-256 of the body. Secrets are never part of
a message: the session token's and the idToken's values are redacted in the canonical string
echoed on a mismatch.
"""

import datetime
import hashlib
from dataclasses import dataclass

from moto_ext import sigv4
from moto_ext.sigv4 import ALGORITHM

SERVICE = "execute-api"
MAX_SKEW = datetime.timedelta(minutes=5)
MAX_QUERY_EXPIRES = 604800  # seconds, 7 days
# Header values never echoed back in a signature-mismatch message.
_REDACTED = {"x-amz-security-token", "idtoken", "authorization"}  # names, lower case


class AuthError(Exception):
    """A refusal: `error_type` is API Gateway's x-amzn-ErrorType, `message` its body message."""

    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type
        self.message = message


def missing_token():
    return AuthError("MissingAuthenticationTokenException", "Missing Authentication Token")


def invalid_token():
    return AuthError("UnrecognizedClientException", "The security token included in the request is invalid.")


def expired_token():
    return AuthError("ExpiredTokenException", "The security token included in the request is expired")


@dataclass
class Request:
    """An HTTP request as it arrived: raw path and query (percent-encoded), header pairs in order."""

    method: str
    path: str
    query: str
    headers: list  # [(name, value)], names as sent, repeats kept
    body: bytes = b""

    def header_values(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def header(self, name):
        values = self.header_values(name)
        return ",".join(values) if values else None

    def query_pairs(self):
        """[(key, value)] decoded as text, in the order sent; a key without "=" has the value "".
        For lookups and the event; what is signed decodes the query to bytes (`moto_ext.sigv4`)."""
        return sigv4.text_pairs(self.query)


@dataclass
class Signature:
    """What the client claims: parsed from the Authorization header or the query string."""

    access_key: str
    date: str  # YYYYMMDD of the credential scope
    region: str
    service: str
    signed_headers: list
    signature: str
    amz_date: str  # YYYYMMDDTHHMMSSZ
    security_token: str | None
    in_query: bool
    expires: int | None = None


def parse(request):
    """The client's signature claims, or AuthError; MissingAuthenticationToken when unsigned."""
    authorization = request.header("authorization")
    query = dict(request.query_pairs())
    if authorization is None and "X-Amz-Algorithm" not in query:
        raise missing_token()
    if authorization is not None:
        return _parse_header(request, authorization)
    return _parse_query(request, query)


def _incomplete(missing):
    return AuthError("IncompleteSignatureException", " ".join(missing))


def _parse_header(request, authorization):
    algorithm, _, rest = authorization.strip().partition(" ")
    fields = {}
    for part in rest.split(","):
        key, eq, value = part.strip().partition("=")
        if eq:
            fields[key] = value
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if name not in fields
    ]
    amz_date = request.header("x-amz-date")
    if amz_date is None:
        # The `Date` header alternative is not accepted here (stricter; see infra/local/README.md).
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if missing:
        raise _incomplete(missing)
    if algorithm != ALGORITHM:
        raise _incomplete([f"Unsupported AWS 'algorithm': '{algorithm}'."])
    return _signature(fields["Credential"], fields["SignedHeaders"], fields["Signature"], amz_date,
                      request.header("x-amz-security-token"), in_query=False)


def _parse_query(request, query):
    missing = [
        f"AWS query-string parameters must include '{name}'."
        for name in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date")
        if name not in query
    ]
    if missing:
        raise _incomplete(missing + ["Re-examine the query-string parameters."])
    if query["X-Amz-Algorithm"] != ALGORITHM:
        raise _incomplete([f"Unsupported AWS 'algorithm': '{query['X-Amz-Algorithm']}'."])
    signature = _signature(query["X-Amz-Credential"], query["X-Amz-SignedHeaders"], query["X-Amz-Signature"],
                           query["X-Amz-Date"], query.get("X-Amz-Security-Token"), in_query=True)
    expires = query.get("X-Amz-Expires")
    if expires is not None:
        if not expires.isdigit() or not 0 < int(expires) <= MAX_QUERY_EXPIRES:
            raise _incomplete([f"X-Amz-Expires must be a number of seconds in 1..{MAX_QUERY_EXPIRES}."])
        signature.expires = int(expires)
    return signature


def _signature(credential, signed_headers, signature, amz_date, token, in_query):
    scope = credential.split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not scope[0]:
        raise _incomplete([f"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{'/'.join(scope[1:])}'"])
    return Signature(
        access_key=scope[0], date=scope[1], region=scope[2], service=scope[3],
        signed_headers=[h for h in signed_headers.split(";") if h], signature=signature,
        amz_date=amz_date, security_token=token, in_query=in_query,
    )


def _parse_amz_date(text):
    try:
        return datetime.datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return None


def check_scope(signature, region, now):
    """Scope (date, region, service) and time checks, in the order API Gateway reports them."""
    when = _parse_amz_date(signature.amz_date)
    if when is None:
        raise AuthError("IncompleteSignatureException",
                        f"Date must be in ISO-8601 'basic format'. Got '{signature.amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601")
    if signature.date != signature.amz_date[:8]:
        raise AuthError("InvalidSignatureException",
                        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                        f"'{signature.date}' != '{signature.amz_date[:8]}', from '{signature.amz_date}'.")
    if signature.region != region:
        raise AuthError("InvalidSignatureException", f"Credential should be scoped to a valid region, not '{signature.region}'. ")
    if signature.service != SERVICE:
        raise AuthError("InvalidSignatureException", f"Credential should be scoped to correct service: '{SERVICE}'. ")
    if "host" not in signature.signed_headers:
        raise AuthError("InvalidSignatureException", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
    fmt = "%Y%m%dT%H%M%SZ"
    if signature.in_query and signature.expires is not None:
        if now > when + datetime.timedelta(seconds=signature.expires):
            raise AuthError("InvalidSignatureException",
                            f"Signature expired: {signature.amz_date} is now earlier than {now.strftime(fmt)} "
                            f"({(when + datetime.timedelta(seconds=signature.expires)).strftime(fmt)} + {signature.expires} sec.)")
    elif when < now - MAX_SKEW:
        raise AuthError("InvalidSignatureException",
                        f"Signature expired: {signature.amz_date} is now earlier than {(now - MAX_SKEW).strftime(fmt)} "
                        f"({now.strftime(fmt)} - 5 min.)")
    if when > now + MAX_SKEW:
        raise AuthError("InvalidSignatureException",
                        f"Signature not yet current: {signature.amz_date} is still later than {(now + MAX_SKEW).strftime(fmt)} "
                        f"({now.strftime(fmt)} + 5 min.)")


def canonical_request(request, signature, redact=False):
    """The canonical request API Gateway computes for `request`, signed headers as the client listed.
    With `redact`, for an error message: the values of secrets (the session token, the ID token,
    the signature header) are replaced, wherever they stand, in a header or in the query string."""
    def shown(name, value):
        return b"<redacted>" if redact and value and name.decode("latin-1").lower() in _REDACTED else value

    pairs = [(k, shown(k, v)) for k, v in sigv4.query_pairs(request.query)]
    query = sigv4.canonical_query(pairs, leave_out=["X-Amz-Signature"] if signature.in_query else [])
    headers = sigv4.header_lists(request.headers)
    if redact:
        headers = {k: ["<redacted>"] if k in _REDACTED and any(v) else v for k, v in headers.items()}
    return sigv4.canonical_request(
        request.method, sigv4.canonical_uri(request.path, s3=False), query,
        sigv4.canonical_headers(headers, signature.signed_headers), signature.signed_headers,
        hashlib.sha256(request.body).hexdigest())


def string_to_sign(signature, canonical):
    return sigv4.string_to_sign(signature.amz_date, sigv4.scope(signature.date, signature.region, signature.service),
                                canonical)


def expected_signature(signature, secret_key, canonical):
    return sigv4.signature(signature.access_key, secret_key, signature.region, signature.service,
                           signature.amz_date, string_to_sign(signature, canonical))


def verify(request, signature, secret_key):
    """Raise InvalidSignatureException unless the client's signature matches ours."""
    canonical = canonical_request(request, signature)
    if sigv4.matches(expected_signature(signature, secret_key, canonical), signature.signature):
        return
    shown = canonical_request(request, signature, redact=True)
    raise AuthError(
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
        "Access Key and signing method. Consult the service documentation for details.\n\n"
        f"The Canonical String for this request should have been\n'{shown}'\n\n"
        f"The String-to-Sign should have been\n'{string_to_sign(signature, canonical)}'\n",
    )
