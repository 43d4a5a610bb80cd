"""SigV4 query-string authentication (presigned URLs), verified as S3 does; moto reads only the
Authorization header, so without this every presigned URL is refused once IAM is enforced.

Two parts:
- `verify_sigv4_query(...)`: S3's checks of a SigV4 presigned request (the X-Amz-* query
  parameters), in S3's order and with S3's answers. It needs no moto: keys come from a `lookup`
  callable. What is signed (canonical request, string to sign, signature) comes from `sigv4.py`,
  the SigV4 module the local API gateway uses too. Errors are `QueryAuthError`s carrying a
  service-neutral `reason` plus S3's status, code and message.
- `apply()`: the moto hook. S3 requests that carry `X-Amz-Algorithm` or `X-Amz-Signature` in the
  query string are authenticated by `S3PresignedRequest` (a moto `S3IAMRequest` that reads the
  query instead of the Authorization header); authorization is then the same IAM evaluation as
  for header-signed requests (moto_ext/iam_eval.py's `check_action_permitted`, with the
  `${cognito-identity.amazonaws.com:sub}` of the signing keys).

Order of the checks (S3's, as far as known; see infra/local/README.md):
  1. both a presigned query and an Authorization header        400 InvalidArgument
  2. X-Amz-Algorithm other than AWS4-HMAC-SHA256                400 AuthorizationQueryParametersError
  3. a required parameter missing or empty                      400 AuthorizationQueryParametersError
  4. X-Amz-Credential malformed / wrong region, service, date   400 AuthorizationQueryParametersError
  5. X-Amz-Date malformed; X-Amz-Expires not a number, < 0, > 604800  400 same (0 passes here
     and is expired at once, by rule 7)
  6. X-Amz-Date more than 15 minutes in the future              403 AccessDenied "Request is not yet valid"
  7. now >= X-Amz-Date + X-Amz-Expires                          403 AccessDenied "Request has expired"
  8. unknown access key (or session key without its token)      403 InvalidAccessKeyId
     session token that is not the key's                       400 InvalidToken
  9. host not in X-Amz-SignedHeaders                            403 SignatureDoesNotMatch
     an x-amz-* header sent but not signed                     403 AccessDenied (HeadersNotSigned)
 10. signature mismatch                                         403 SignatureDoesNotMatch
 11. temporary keys past their expiration                       400 ExpiredToken
 12. IAM: the signer's policies (same evaluator as headers)     403 AccessDenied

Moto internals touched (see moto_ext/__init__.py): ActionAuthenticatorMixin
._authenticate_and_authorize_action (wrapped: picks our request class), S3IAMRequest (subclassed;
its _data, _raise_access_denied), moto.iam.access_control.create_access_key and
CreateAccessKeyFailure (key lookup), sts_backends[account]["aws"].assumed_roles (.expiration).
"""

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Mapping, Optional, Sequence
from urllib.parse import urlparse
from xml.sax.saxutils import escape

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from . import sigv4
from .sigv4 import ALGORITHM, UNSIGNED_PAYLOAD

MAX_EXPIRES = 604800  # seven days
MAX_SKEW = timedelta(minutes=15)
_REQUIRED = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date",
             "X-Amz-SignedHeaders", "X-Amz-Expires")
_AMZ_DATE = re.compile(r"\d{8}T\d{6}Z")
STACK_REGION = "us-east-1"  # the only region the stack emulates (README: "What it does not emulate")
_SIGNED_HEADER = re.compile(r"[a-z0-9!#$%&'*+.^_`|~-]+")

# The texts S3 answers (sources in infra/local/README.md, "Presigned URLs").
MSG_MISSING = ("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
               "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
MSG_ALGORITHM = 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"'
MSG_CREDENTIAL = ('Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; '
                  'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".')
MSG_DATE = "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""
MSG_EXPIRES_NUMBER = "X-Amz-Expires should be a number"
MSG_EXPIRES_NEGATIVE = "X-Amz-Expires must be non-negative"
MSG_EXPIRES_WEEK = ("X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires "
                    "must be less than 604800 seconds")
MSG_EXPIRED = "Request has expired"
MSG_NOT_YET_VALID = "Request is not yet valid"
MSG_INVALID_KEY = "The AWS Access Key Id you provided does not exist in our records."
MSG_INVALID_TOKEN = "The provided token is malformed or otherwise invalid."
MSG_EXPIRED_TOKEN = "The provided token has expired."
MSG_SIGNATURE = ("The request signature we calculated does not match the signature you provided. "
                 "Check your key and signing method.")
MSG_NOT_SIGNED = "There were headers present in the request which were not signed"
MSG_BOTH = ("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query "
            "string parameter or the Authorization header should be specified")


class QueryAuthError(Exception):
    """A refused presigned request. `reason` is service-neutral ("malformed", "expired",
    "not-yet-valid", "unknown-key", "invalid-token", "expired-token", "unsigned-header",
    "signature", "both-mechanisms"); `status`, `code`, `message`, `extra` are S3's answer."""

    def __init__(self, reason, status, code, message, **extra):
        super().__init__(f"{code}: {message}")
        self.reason, self.status, self.code, self.message, self.extra = reason, status, code, message, extra


def _malformed(message, **extra):
    return QueryAuthError("malformed", 400, "AuthorizationQueryParametersError", message, **extra)


@dataclass(frozen=True)
class Keys:
    """What `lookup` returns for an access key id: its secret, and for temporary keys their
    expiration (aware datetime) if known. `principal` is passed through untouched (moto's key)."""

    secret_key: str
    expires_at: Optional[datetime] = None
    principal: object = None


@dataclass(frozen=True)
class Verified:
    access_key_id: str
    region: str
    service: str
    signed_at: datetime
    expires_in: int
    signed_headers: tuple
    keys: Keys


def is_presigned(raw_query) -> bool:
    names = {name for name, _ in sigv4.text_pairs(raw_query)}
    return "X-Amz-Algorithm" in names or "X-Amz-Signature" in names


def _single(pairs, name):
    values = [v for n, v in pairs if n == name]
    return values[0] if values else None


def verify_sigv4_query(
    method: str,
    path: str,
    raw_query: str,
    headers: Mapping[str, Sequence[str]],
    *,
    region: str,
    lookup: Callable[[str, Optional[str]], Keys],
    now: Optional[datetime] = None,
    has_authorization_header: bool = False,
) -> Verified:
    """Verify an S3 presigned (query-string) request; return what was verified or raise
    `QueryAuthError`.

    method, path, raw_query: as received (path and query still percent-encoded).
    headers: lower-case name -> values. region: this endpoint's; the credential scope must name it.
    lookup(access_key_id, security_token_or_None) -> Keys, or raise QueryAuthError
      ("unknown-key" / "invalid-token").
    has_authorization_header: the request also has an Authorization header (S3 refuses both).
    """
    now = now or datetime.now(timezone.utc)
    service = "s3"
    pairs = sigv4.text_pairs(raw_query)
    if has_authorization_header:
        raise QueryAuthError("both-mechanisms", 400, "InvalidArgument", MSG_BOTH,
                             ArgumentName="Authorization", ArgumentValue="")
    if _single(pairs, "X-Amz-Algorithm") != ALGORITHM:
        raise _malformed(MSG_ALGORITHM if _single(pairs, "X-Amz-Algorithm") else MSG_MISSING)
    if any(not _single(pairs, name) for name in _REQUIRED):
        raise _malformed(MSG_MISSING)

    scope = _single(pairs, "X-Amz-Credential").split("/")
    if len(scope) != 5 or not scope[0] or not re.fullmatch(r"\d{8}", scope[1]):
        raise _malformed(MSG_CREDENTIAL)
    access_key_id, date, scope_region, scope_service, terminal = scope
    if scope_region != region:
        raise _malformed(f"Error parsing the X-Amz-Credential parameter; the region '{scope_region}' is wrong; "
                         f"expecting '{region}'", Region=region)
    if scope_service != service:
        raise _malformed(f'Error parsing the X-Amz-Credential parameter; incorrect service "{scope_service}". '
                         f'This endpoint belongs to "{service}".')
    if terminal != "aws4_request":
        raise _malformed(f'Error parsing the X-Amz-Credential parameter; incorrect terminal "{terminal}". '
                         f'This endpoint uses "aws4_request".')

    amz_date = _single(pairs, "X-Amz-Date")
    try:
        if not _AMZ_DATE.fullmatch(amz_date):
            raise ValueError
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise _malformed(MSG_DATE) from None
    if date != amz_date[:8]:
        raise _malformed(f'Invalid credential date "{date}". This date is not the same as X-Amz-Date: "{amz_date[:8]}".')

    expires_text = _single(pairs, "X-Amz-Expires")
    if not re.fullmatch(r"-?\d+", expires_text):
        raise _malformed(MSG_EXPIRES_NUMBER)
    expires_in = int(expires_text)
    if expires_in < 0:
        raise _malformed(MSG_EXPIRES_NEGATIVE)
    if expires_in > MAX_EXPIRES:
        raise _malformed(MSG_EXPIRES_WEEK)

    if signed_at - now > MAX_SKEW:
        raise QueryAuthError("not-yet-valid", 403, "AccessDenied", MSG_NOT_YET_VALID, **{
            "X-Amz-Date": amz_date, "Expires": _iso(signed_at + timedelta(seconds=expires_in)),
            "ServerTime": _iso(now)})
    if now >= signed_at + timedelta(seconds=expires_in):
        raise QueryAuthError("expired", 403, "AccessDenied", MSG_EXPIRED, **{
            "X-Amz-Expires": str(expires_in), "Expires": _iso(signed_at + timedelta(seconds=expires_in)),
            "ServerTime": _iso(now)})

    keys = lookup(access_key_id, _single(pairs, "X-Amz-Security-Token"))

    signed_headers = _single(pairs, "X-Amz-SignedHeaders").split(";")
    if "host" not in signed_headers or any(not _SIGNED_HEADER.fullmatch(h) for h in signed_headers):
        raise QueryAuthError("signature", 403, "SignatureDoesNotMatch", MSG_SIGNATURE)
    unsigned = sorted(n for n in headers if n.startswith("x-amz-") and n not in signed_headers)
    if unsigned:
        raise QueryAuthError("unsigned-header", 403, "AccessDenied", MSG_NOT_SIGNED,
                             HeadersNotSigned=", ".join(unsigned))

    query = sigv4.canonical_query(sigv4.query_pairs(raw_query), leave_out=["X-Amz-Signature"])
    canonical = sigv4.canonical_request(method, sigv4.canonical_uri(path, s3=True), query,
                                        sigv4.canonical_headers(headers, signed_headers), signed_headers,
                                        UNSIGNED_PAYLOAD)
    string_to_sign = sigv4.string_to_sign(amz_date, sigv4.scope(date, region, service), canonical)
    expected = sigv4.signature(access_key_id, keys.secret_key, region, service, amz_date, string_to_sign)
    if not sigv4.matches(expected, _single(pairs, "X-Amz-Signature")):
        raise QueryAuthError("signature", 403, "SignatureDoesNotMatch", MSG_SIGNATURE,
                             AWSAccessKeyId=access_key_id, StringToSign=string_to_sign,
                             SignatureProvided=_single(pairs, "X-Amz-Signature"),
                             CanonicalRequest=canonical)

    if keys.expires_at is not None and now >= keys.expires_at:
        raise QueryAuthError("expired-token", 400, "ExpiredToken", MSG_EXPIRED_TOKEN,
                             **{"Token-0": _single(pairs, "X-Amz-Security-Token") or ""})

    return Verified(access_key_id, region, service, signed_at, expires_in, tuple(signed_headers), keys)


def _iso(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def s3_error_xml(error: QueryAuthError, request_id=None) -> str:
    request_id = request_id or uuid.uuid4().hex[:16].upper()
    extra = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in error.extra.items())
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{error.code}</Code><Message>{escape(error.message)}</Message>{extra}"
            f"<RequestId>{request_id}</RequestId><HostId>moto-ext</HostId></Error>")


class S3QueryAuthHTTPError(HTTPException):
    """S3's XML error answer for a refused presigned request (rendered by Flask as is)."""

    def __init__(self, error: QueryAuthError):
        super().__init__(description=error.message)
        self.code = error.status
        self.error = error

    def get_response(self, environ=None, scope=None):
        return Response(s3_error_xml(self.error), status=self.error.status, content_type="application/xml")


# ---------------------------------------------------------------- moto hook


def _moto_lookup(account_id, partition):
    from moto.iam.access_control import CreateAccessKeyFailure, create_access_key
    from moto.sts.models import sts_backends

    def lookup(access_key_id, token):
        headers = {"X-Amz-Security-Token": token} if token is not None else {}
        try:
            key = create_access_key(account_id=account_id, partition=partition,
                                    access_key_id=access_key_id, headers=headers)
        except CreateAccessKeyFailure as failure:
            if failure.reason == "InvalidToken":
                raise QueryAuthError("invalid-token", 400, "InvalidToken", MSG_INVALID_TOKEN) from None
            raise QueryAuthError("unknown-key", 403, "InvalidAccessKeyId", MSG_INVALID_KEY,
                                 AWSAccessKeyId=access_key_id) from None
        expires_at = None
        for role in sts_backends[account_id][partition].assumed_roles:
            if role.access_key_id == access_key_id:
                expires_at = role.expiration.replace(tzinfo=timezone.utc)
        return Keys(key._secret_access_key, expires_at, key)

    return lookup


def _make_request_class():
    from moto.iam.access_control import S3IAMRequest

    class S3PresignedRequest(S3IAMRequest):
        """An S3IAMRequest authenticated by the query string. Does not call IAMRequestBase's
        __init__ (which reads the Authorization header); sets what check_action_permitted reads."""

        def __init__(self, account_id, method, path, data, body, headers, action):
            self.account_id = account_id
            self._method, self._path, self._data, self._body, self._headers = method, path, data, body, headers
            self._service = "s3"
            self._action = f"s3:{action[0] if isinstance(action, list) else action}"
            environ = getattr(headers, "environ", {})
            raw_path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or path
            raw_path, _, raw_query = raw_path.partition("?")
            if not raw_query:
                raw_query = environ.get("QUERY_STRING", "") or path.partition("?")[2]
            self._region = STACK_REGION
            try:
                verified = verify_sigv4_query(
                    method, raw_path, raw_query, sigv4.header_lists(headers.items()),
                    region=STACK_REGION, lookup=_moto_lookup(account_id, "aws"),
                    has_authorization_header="Authorization" in headers,
                )
            except QueryAuthError as error:
                raise S3QueryAuthHTTPError(error) from None
            self._access_key = verified.keys.principal

        def check_signature(self):
            pass  # verified in __init__, before any key material is trusted

    return S3PresignedRequest


def apply():
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.iam.access_control import S3IAMRequest

    presigned_class = _make_request_class()
    authorize = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def authenticate_and_authorize_action(self, iam_request_cls, resource="*"):
        if iam_request_cls is S3IAMRequest:
            if is_presigned(urlparse(self.uri).query):
                iam_request_cls = presigned_class
        return authorize(self, iam_request_cls, resource)

    ActionAuthenticatorMixin._authenticate_and_authorize_action = authenticate_and_authorize_action
