"""IAM policy evaluation faithful enough for our policies; replaces moto's.

Moto 5.2.5 has no policy variables, ignores `StringLike s3:prefix`, treats a failed condition as
an explicit Deny, and matches resources with an unescaped regex. AWS's rules, for identity-based
policies and role trust policies (all we have), each from the IAM User Guide:

- Evaluation ("Policy evaluation logic"): an explicit Deny wins, else any matching Allow, else
  implicit deny. A statement matches when its Action, Resource (Principal in a trust policy) and
  every Condition match.
- Validity ("IAM JSON policy elements: Effect / Action / NotAction / Resource / NotResource /
  Principal"): `Effect` is `Allow` or `Deny`, case-sensitive; a statement has exactly one of
  Action/NotAction; an identity-based statement exactly one of Resource/NotResource and no
  Principal; a trust-policy statement a Principal (or NotPrincipal) and no Resource. A document
  that breaks these is refused when it is stored (MalformedPolicyDocument, see `apply`) and, if one
  reaches `evaluate` anyway, the request is denied: never "matches everything".
- Resource wildcards ("IAM JSON policy elements: Resource", "Using wildcards in resource ARNs"):
  `*` and `?` match within one colon-separated segment of the ARN; only a `*` that is the last
  character of a segment may expand past a colon. `/` is an ordinary character (so
  `arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/read-file` matches any stage).
- Policy variables ("IAM policy elements: Variables and tags", "IAM JSON policy elements:
  Version"): `${key}` is substituted only in documents with `"Version": "2012-10-17"`; elsewhere it
  is literal text. The value comes from the request context and is literal: a `*` or `?` in it
  matches only itself. A key with no value (or several) matches nothing, unless a default is given
  (`${key, 'default'}`). `${*}`, `${?}`, `${$}` are a literal `*`, `?`, `$`.
- Conditions ("IAM JSON policy elements: Condition operators"): `String*` wildcards match any
  characters, colons included; `ArnLike`/`ArnEquals` compare each of the six colon-delimited
  components separately.
"""

import json
import logging
import re
from urllib.parse import parse_qsl

from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import JsonRESTError, _RESTError
from moto.iam.access_control import (
    AssumedRoleAccessKey,
    IAMPolicy,
    IAMRequestBase,
    S3IAMRequest,
)
from moto.iam.exceptions import MalformedPolicyDocument
from moto.iam.policy_validation import IAMPolicyDocumentValidator, IAMTrustPolicyDocumentValidator
from moto.s3.models import s3_backends
from moto.sts.models import sts_backends

log = logging.getLogger("moto_ext")

ALLOW, DENY, IMPLICIT_DENY = "Allow", "Deny", "ImplicitDeny"
VARIABLES_VERSION = "2012-10-17"  # the only policy language version with policy variables
_VERSIONS = ("2008-10-17", VARIABLES_VERSION)
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_VARIABLE_BODY = re.compile(r"\s*([^\s,']+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?")  # key[, 'default']
_PRINCIPAL_TYPES = ("AWS", "Federated", "Service", "CanonicalUser")
_STATEMENT_ELEMENTS = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
                       "Resource", "NotResource", "Condition"}

# Pattern tokens: a literal character, or a wildcard.
_STAR, _ONE = object(), object()


class UnsupportedPolicy(Exception):
    """A condition operator we do not evaluate: the request is denied, never silently allowed."""


class InvalidPolicy(ValueError):
    """A document AWS refuses to store (MalformedPolicyDocument)."""


# ---------------------------------------------------------------- validation


def validate(document, kind="identity"):
    """Raise InvalidPolicy unless `document` (parsed JSON) is a valid policy of `kind`:
    "identity" (attached to a user, group or role) or "trust" (a role's trust policy)."""
    if kind not in ("identity", "trust"):
        raise ValueError(f"kind must be 'identity' or 'trust', not {kind!r}")
    if not isinstance(document, dict):
        raise InvalidPolicy("a policy is a JSON object")
    extra = set(document) - {"Version", "Id", "Statement"}
    if extra:
        raise InvalidPolicy(f"unknown top-level element(s) {sorted(extra)}")
    if "Version" in document and document["Version"] not in _VERSIONS:
        raise InvalidPolicy(f"Version must be one of {_VERSIONS}")
    statements = document.get("Statement")
    statements = [statements] if isinstance(statements, dict) else statements
    if not isinstance(statements, list) or not statements:
        raise InvalidPolicy("Statement must be an object or a non-empty list")
    for statement in statements:
        _validate_statement(statement, kind)


def _validate_statement(statement, kind):
    if not isinstance(statement, dict):
        raise InvalidPolicy("a statement is a JSON object")
    extra = set(statement) - _STATEMENT_ELEMENTS
    if extra:
        raise InvalidPolicy(f"unknown statement element(s) {sorted(extra)}")
    if statement.get("Effect") not in (ALLOW, DENY):  # case-sensitive ("IAM JSON policy elements: Effect")
        raise InvalidPolicy(f"Effect must be exactly Allow or Deny, not {statement.get('Effect')!r}")
    _one_of(statement, "Action", "NotAction", _validate_strings)
    if kind == "identity":
        _one_of(statement, "Resource", "NotResource", _validate_strings)
        if "Principal" in statement or "NotPrincipal" in statement:
            raise InvalidPolicy("an identity-based policy must not specify a principal")
    else:
        _one_of(statement, "Principal", "NotPrincipal", _validate_principal)
        if "Resource" in statement or "NotResource" in statement:
            raise InvalidPolicy("a trust policy has no Resource")
    condition = statement.get("Condition", {})
    if not isinstance(condition, dict) or not all(isinstance(keys, dict) for keys in condition.values()):
        raise InvalidPolicy("Condition is {operator: {key: value(s)}}")


def _one_of(statement, name, negated, check):
    present = [n for n in (name, negated) if n in statement]
    if len(present) != 1:
        raise InvalidPolicy(f"a statement needs exactly one of {name} / {negated}")
    check(present[0], statement[present[0]])


def _validate_strings(name, value):
    values = _as_list(value)
    if not values or not all(isinstance(v, str) and v for v in values):
        raise InvalidPolicy(f"{name} is a non-empty string or list of non-empty strings")


def _validate_principal(name, value):
    if value == "*":
        return
    if not isinstance(value, dict) or not value or set(value) - set(_PRINCIPAL_TYPES):
        raise InvalidPolicy(f"{name} is \"*\" or {{type: id(s)}} with a type of {_PRINCIPAL_TYPES}")
    for principal_type, ids in value.items():
        _validate_strings(f"{name}.{principal_type}", ids)


# ---------------------------------------------------------------- evaluation (pure functions)


def evaluate(documents, action, resource, context, principal=None):
    """Decision for `action` on `resource` (None: a role trust policy, which has no Resource).
    `context` maps lower-case condition keys to lists of strings. `principal` (trust policies only)
    is the caller as `(type, id)`, e.g. `("Federated", "cognito-identity.amazonaws.com")`; it must
    appear under that type in the statement's Principal. An invalid document denies the request."""
    if principal is not None and not (isinstance(principal, tuple) and len(principal) == 2):
        raise TypeError("principal is a (type, id) tuple, e.g. ('Federated', 'cognito-identity.amazonaws.com')")
    kind = "trust" if resource is None else "identity"
    allowed = False
    for document in documents:
        try:
            validate(document, kind)
        except InvalidPolicy as error:
            log.error("denying %s: invalid %s policy: %s", action, kind, error)
            return DENY
        variables = document.get("Version") == VARIABLES_VERSION
        statements = document["Statement"]
        for statement in statements if isinstance(statements, list) else [statements]:
            try:
                applies = _statement_applies(statement, action, resource, context, principal, variables)
            except UnsupportedPolicy as error:
                log.warning("denying %s: %s", action, error)
                return DENY
            if applies:
                if statement["Effect"] == DENY:
                    return DENY
                allowed = True
    return ALLOW if allowed else IMPLICIT_DENY


def _statement_applies(statement, action, resource, context, principal, variables):
    if not _element_matches(statement, "Action", lambda p: _action_matches(p, action)):
        return False
    if resource is not None and not _element_matches(
        statement, "Resource", lambda p: _arn_glob(_tokens(p, context, variables), resource)
    ):
        return False
    if principal is not None and not _principal_matches(statement, principal):
        return False
    return all(
        _condition_holds(operator, key, values, context, variables)
        for operator, keys in statement.get("Condition", {}).items()
        for key, values in keys.items()
    )


def _element_matches(statement, name, matches):
    """Action/NotAction, Resource/NotResource (validation guarantees exactly one is present)."""
    negated = "Not" + name in statement
    hit = any(matches(p) for p in _as_list(statement["Not" + name if negated else name]))
    return hit != negated


def _action_matches(pattern, action):
    """"IAM JSON policy elements: Action": `service:action`, case-insensitive, wildcards in the
    name, no variables; `*` alone is every action. Whether a wildcard may span the colon
    ("s3*", "*Object") is not documented: here it may not (stricter)."""
    if pattern == "*":
        return True
    regex = _regex(_literal_tokens(pattern), "[^:]*", "[^:]")
    return re.fullmatch(regex, action, re.IGNORECASE | re.DOTALL) is not None


def _principal_matches(statement, principal):
    """Trust policies ("AWS JSON policy elements: Principal"): "*" is everyone; otherwise the
    caller's id must be listed under the caller's own type ("Federated" for web identity,
    "AWS" for accounts, users and roles, "Service"). `{"AWS": "*"}` is every AWS-type principal
    only: whether it also admits a web identity is not documented, so it does not (stricter)."""
    negated = "NotPrincipal" in statement
    expected = statement["NotPrincipal" if negated else "Principal"]
    principal_type, principal_id = principal
    if expected == "*":
        hit = True
    else:
        ids = _as_list(expected.get(principal_type, []))
        hit = "*" in ids or principal_id in ids  # no partial wildcards in principals
    return hit != negated


# ---------------------------------------------------------------- patterns and variables


def _tokens(pattern, context, variables):
    """A policy string as pattern tokens: characters (str), _STAR, _ONE; None when a variable has
    no value. Substituted values are literal characters: their `*`/`?` are not wildcards."""
    pattern = str(pattern)
    if not variables:
        return _literal_tokens(pattern)
    tokens, position = [], 0
    for match in _VARIABLE.finditer(pattern):
        tokens += _literal_tokens(pattern[position:match.start()])
        value = _variable_value(match.group(1), context)
        if value is None:
            return None
        tokens += list(value)  # literal
        position = match.end()
    return tokens + _literal_tokens(pattern[position:])


def _literal_tokens(text):
    return [_STAR if c == "*" else _ONE if c == "?" else c for c in text]


def _variable_value(body, context):
    if body in ("*", "?", "$"):  # the documented escapes of the special characters
        return body
    match = _VARIABLE_BODY.fullmatch(body)
    if match is None:
        return None  # malformed: not substituted, matches nothing
    values = context.get(match.group(1).lower())
    if values and len(values) == 1:  # a multivalued key is not substituted
        return values[0]
    return None if match.group(2) is None else match.group(2).replace("''", "'")


def _substitute(text, context, variables):
    """`text` with variables replaced, for the operators without wildcards; None: no value."""
    tokens = _tokens(text, context, variables)
    if tokens is None:
        return None
    return "".join("*" if t is _STAR else "?" if t is _ONE else t for t in tokens)


def _regex(tokens, star, one):
    return "".join(star if t is _STAR else one if t is _ONE else re.escape(t) for t in tokens)


def _glob(tokens, value):
    """`*`/`?` match any characters, colons included (String conditions, one ARN component)."""
    if tokens is None:
        return False
    return re.fullmatch(_regex(tokens, ".*", "."), value, re.DOTALL) is not None


def _arn_glob(tokens, value):
    """Resource ARNs: wildcards stay inside a colon-separated segment, except a `*` that ends its
    segment (the last character, or followed by a colon), which may also match colons."""
    if tokens is None:
        return False
    parts = []
    for index, token in enumerate(tokens):
        if token is _STAR:
            ends_segment = index + 1 == len(tokens) or tokens[index + 1] == ":"
            parts.append(".*" if ends_segment else "[^:]*")
        elif token is _ONE:
            parts.append("[^:]")
        else:
            parts.append(re.escape(token))
    return re.fullmatch("".join(parts), value, re.DOTALL) is not None


def _arn_components(tokens_or_text):
    """The six colon-delimited components of an ARN (the last keeps its colons), or None."""
    parts, current = [], []
    for token in tokens_or_text:
        if token == ":" and len(parts) < 5:
            parts.append(current)
            current = []
        else:
            current.append(token)
    parts.append(current)
    return parts if len(parts) == 6 else None


def _arn_like(pattern, value, context, variables):
    """ArnLike/ArnEquals: each of the six components matched separately, wildcards inside one."""
    tokens = _tokens(pattern, context, variables)
    if tokens is None:
        return False
    expected = _arn_components(tokens)
    if expected is None:
        raise UnsupportedPolicy(f"Arn condition value {pattern!r} is not an ARN")
    actual = value.split(":", 5)
    if len(actual) != 6:
        return False
    return all(_glob(e, a) for e, a in zip(expected, actual))


def _equals(pattern, value, context, variables):
    pattern = _substitute(pattern, context, variables)
    return pattern is not None and pattern == value


def _equals_ignore_case(pattern, value, context, variables):
    pattern = _substitute(pattern, context, variables)
    return pattern is not None and pattern.lower() == value.lower()


def _like(pattern, value, context, variables):
    return _glob(_tokens(pattern, context, variables), value)


# operator (lower case, without IfExists) -> (match one policy value against one request value, negated)
_OPERATORS = {
    "stringequals": (_equals, False),
    "stringnotequals": (_equals, True),
    "stringequalsignorecase": (_equals_ignore_case, False),
    "stringnotequalsignorecase": (_equals_ignore_case, True),
    "stringlike": (_like, False),
    "stringnotlike": (_like, True),
    "arnequals": (_arn_like, False),
    "arnlike": (_arn_like, False),
    "arnnotequals": (_arn_like, True),
    "arnnotlike": (_arn_like, True),
    "bool": (_equals_ignore_case, False),
}


def _condition_holds(operator, key, policy_values, context, variables):
    qualifier, _, operator = operator.rpartition(":")
    qualifier, operator = qualifier.lower(), operator.lower()
    if_exists = operator.endswith("ifexists")
    operator = operator.removesuffix("ifexists")
    policy_values = [str(v).lower() if isinstance(v, bool) else str(v) for v in _as_list(policy_values)]
    request_values = context.get(key.lower())

    if operator == "null":  # "true": the key must be absent; "false": present
        return any(v.lower() == ("false" if request_values else "true") for v in policy_values)
    if operator not in _OPERATORS or qualifier not in ("", "foranyvalue", "forallvalues"):
        raise UnsupportedPolicy(f"condition operator {qualifier}:{operator} is not emulated")
    match, negated = _OPERATORS[operator]

    def holds_for(value):
        hit = any(match(p, value, context, variables) for p in policy_values)
        return hit != negated

    if qualifier == "forallvalues":  # vacuously true on a missing or empty key
        return all(holds_for(v) for v in request_values or [])
    if not request_values:
        # IAM: a missing key fails the condition, except with IfExists, and except for a negated
        # single-valued operator (StringNotEquals...), which then holds.
        return if_exists or (negated and qualifier == "")
    return any(holds_for(v) for v in request_values)


def _as_list(value):
    return value if isinstance(value, list) else [value]


# ---------------------------------------------------------------- moto hooks


def credential_owners(account_id):
    """access key id -> condition context of the Cognito identity it was issued to. Kept on the
    STS backend so that /moto-api/reset forgets it together with the keys."""
    backend = sts_backends[account_id]["aws"]
    if not hasattr(backend, "moto_ext_owners"):
        backend.moto_ext_owners = {}
    return backend.moto_ext_owners


# S3 condition keys that are a request header's value ("Actions, resources, and condition keys
# for Amazon S3", Service Authorization Reference): `s3:<header>`.
_S3_HEADER_KEYS = (
    "x-amz-acl", "x-amz-grant-full-control", "x-amz-grant-read", "x-amz-grant-read-acp", "x-amz-grant-write",
    "x-amz-grant-write-acp", "x-amz-storage-class", "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id", "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-copy-source", "x-amz-metadata-directive", "x-amz-website-redirect-location", "x-amz-content-sha256",
)
# Headers that set an object's ACL or tags on PutObject; S3 then also requires s3:PutObjectAcl or
# s3:PutObjectTagging (PutObject API reference, "Permissions").
ACL_HEADERS = ("x-amz-acl", "x-amz-grant-full-control", "x-amz-grant-read", "x-amz-grant-read-acp",
               "x-amz-grant-write-acp")
TAGGING_HEADER = "x-amz-tagging"
# The query parameters of SigV4 query authentication, which are not request headers.
_QUERY_AUTH = {"x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires", "x-amz-signedheaders",
               "x-amz-signature", "x-amz-security-token"}


def s3_headers(request):
    """{lower-case name: value} of an S3 request's x-amz-* headers, with the x-amz-* parameters of its
    query string (presigned URLs) counted as headers too: whether S3 honours those is undocumented,
    so a condition sees them (the stricter side)."""
    headers = {}
    for name, value in (request._data or {}).items():
        if name.lower().startswith("x-amz-") and name.lower() not in _QUERY_AUTH:
            headers[name.lower()] = value[0] if isinstance(value, list) else value
    for name, value in request._headers.items():
        if name.lower().startswith("x-amz-"):
            headers[name.lower()] = value
    return headers


def s3_condition_keys(headers):
    """The S3 condition keys a request's headers set (keys in lower case, values as lists)."""
    context = {f"s3:{name}": [headers[name]] for name in _S3_HEADER_KEYS if name in headers}
    if TAGGING_HEADER in headers:  # "k1=v1&k2=v2", URL-encoded (PutObject API reference)
        context["s3:requestobjecttagkeys"] = [key for key, _ in parse_qsl(headers[TAGGING_HEADER], keep_blank_values=True)]
    return context


def _request_context(request):
    context = {}
    key = request._access_key
    if isinstance(key, AssumedRoleAccessKey):
        context.update(credential_owners(request.account_id).get(key._access_key_id, {}))
    if isinstance(request, S3IAMRequest):
        for name in ("prefix", "delimiter", "max-keys"):
            value = request._data.get(name)
            if value is not None:
                context[f"s3:{name}"] = [value[0] if isinstance(value, list) else value]
        context.update(s3_condition_keys(s3_headers(request)))
    return context


def _documents(request):
    return [IAMPolicy(policy)._policy_json for policy in request._access_key.collect_policies()]


def _key_is_missing(account_id, object_arn):
    bucket, _, key = object_arn.split(":::", 1)[1].partition("/")
    try:
        return s3_backends[account_id]["aws"].get_object(bucket, key) is None
    except Exception:  # no such bucket: let moto answer as it does
        return False


def check_action_permitted(self, resource):
    if self._action == "sts:GetCallerIdentity":  # AWS allows it even under an explicit Deny
        return
    documents = _documents(self)
    context = _request_context(self)
    if evaluate(documents, self._action, resource, context) != ALLOW:
        self._raise_access_denied()
    if self._is_assuming_role_operation(resource) and not self._check_role_trust_relationship(resource):
        self._raise_access_denied()
    # A PutObject that sets tags or an ACL needs s3:PutObjectTagging / s3:PutObjectAcl too.
    if isinstance(self, S3IAMRequest) and self._action == "s3:PutObject":
        headers = s3_headers(self)
        also = (["s3:PutObjectTagging"] if TAGGING_HEADER in headers else []) + \
            (["s3:PutObjectAcl"] if any(name in headers for name in ACL_HEADERS) else [])
        if any(evaluate(documents, action, resource, context) != ALLOW for action in also):
            self._raise_access_denied()
    # S3 tells a missing key apart (404 NoSuchKey) only to callers allowed to list it; others get
    # 403 AccessDenied. The ListBucket check runs with this request's context, which has no
    # s3:prefix, so a role whose ListBucket is conditioned on s3:prefix gets 403, as on AWS.
    if (
        isinstance(self, S3IAMRequest)
        and self._action == "s3:GetObject"
        and _key_is_missing(self.account_id, resource)
        and evaluate(documents, "s3:ListBucket", resource.split("/", 1)[0], context) != ALLOW
    ):
        self._raise_access_denied()


# SDKs of JSON-protocol services (cognito-idp...) parse `{"__type", "message"}`; moto answers
# auth failures in XML. Codes are renamed to those these services use.
_JSON_AUTH_ERRORS = {
    "AccessDenied": "AccessDeniedException",
    "InvalidClientTokenId": "UnrecognizedClientException",
    "SignatureDoesNotMatch": "InvalidSignatureException",
    "MissingAuthenticationToken": "MissingAuthenticationTokenException",
}
_authorize_normal_action = ActionAuthenticatorMixin._authenticate_and_authorize_normal_action


def _authorize_normal_action_json_errors(self, resource="*"):
    try:
        _authorize_normal_action(self, resource)
    except _RESTError as error:
        if not self.headers.get("X-Amz-Target") or isinstance(error, JsonRESTError):
            raise
        converted = JsonRESTError(_JSON_AUTH_ERRORS.get(error.error_type, error.error_type), error.message)
        converted.code = error.code
        raise converted from None


class MissingAuthenticationToken(_RESTError):
    code = 403

    def __init__(self):
        super().__init__("MissingAuthenticationToken", "Request is missing Authentication Token")


_iam_request_init = IAMRequestBase.__init__


def _iam_request_init_unsigned(self, account_id, method, path, data, body, headers, action):
    """An unsigned request (once enforcement is on) gets AccessDenied from S3 (an anonymous caller
    with no bucket policy) and MissingAuthenticationToken elsewhere; moto answered 500."""
    if "Authorization" not in headers:
        if isinstance(self, S3IAMRequest):
            self._data = data
            self._raise_access_denied()
        raise MissingAuthenticationToken()
    _iam_request_init(self, account_id, method, path, data, body, headers, action)


def _cognito_idp_resource(self):
    """The user pool ARN of the request, so that policies scoped to a pool match (moto checks
    every cognito-idp action against "*")."""
    try:
        params = json.loads(self.body or "{}")
    except ValueError:
        params = None
    pool_id = params.get("UserPoolId") if isinstance(params, dict) else None
    if not isinstance(pool_id, str) or "_" not in pool_id:
        return "*"
    region = pool_id.split("_", 1)[0]
    return f"arn:aws:cognito-idp:{region}:{self.current_account}:userpool/{pool_id}"


def _validating(original, kind):
    """Moto's put-time validator, then ours: IAM refuses what `validate` refuses, so a bad policy
    fails loudly where it is stored (provisioning included) instead of matching everything later."""

    def validate_too(self):
        original(self)
        try:
            validate(json.loads(self._policy_document), kind)
        except InvalidPolicy as error:
            raise MalformedPolicyDocument(str(error)) from None

    return validate_too


def _create_role_validating(create_role):
    """Moto's CreateRole stores the trust policy unchecked (UpdateAssumeRolePolicy checks it)."""

    def create_role_checked(self, role_name, assume_role_policy_document, *args, **kwargs):
        IAMTrustPolicyDocumentValidator(assume_role_policy_document).validate()
        return create_role(self, role_name, assume_role_policy_document, *args, **kwargs)

    return create_role_checked


def apply():
    from moto.cognitoidp.responses import CognitoIdpResponse
    from moto.iam.models import IAMBackend

    IAMPolicyDocumentValidator.validate = _validating(IAMPolicyDocumentValidator.validate, "identity")
    IAMTrustPolicyDocumentValidator.validate = _validating(IAMTrustPolicyDocumentValidator.validate, "trust")
    IAMBackend.create_role = _create_role_validating(IAMBackend.create_role)

    IAMRequestBase.__init__ = _iam_request_init_unsigned
    IAMRequestBase.check_action_permitted = check_action_permitted
    ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = _authorize_normal_action_json_errors
    CognitoIdpResponse._determine_resource = _cognito_idp_resource
