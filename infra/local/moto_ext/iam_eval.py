"""IAM policy evaluation faithful enough for our policies; replaces moto's.

Moto 5.2.5 has no policy variables, ignores `StringLike s3:prefix`, treats a failed condition as
an explicit Deny, and matches resources with an unescaped regex. AWS's rules, for identity-based
policies (all we have): an explicit Deny wins, else any matching Allow, else implicit deny. A
statement matches when its Action, Resource and every Condition match; `${key}` variables take
their value from the request context and match nothing when the key is absent.
"""

import json
import logging
import re

from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import JsonRESTError, _RESTError
from moto.iam.access_control import (
    AssumedRoleAccessKey,
    IAMPolicy,
    IAMRequestBase,
    S3IAMRequest,
)
from moto.s3.models import s3_backends
from moto.sts.models import sts_backends

log = logging.getLogger("moto_ext")

ALLOW, DENY, IMPLICIT_DENY = "Allow", "Deny", "ImplicitDeny"
_VARIABLE = re.compile(r"\$\{([^}]+)\}")


class UnsupportedPolicy(Exception):
    """A condition operator we do not evaluate: the request is denied, never silently allowed."""


# ---------------------------------------------------------------- evaluation (pure functions)


def evaluate(documents, action, resource, context, principal=None):
    """Decision for `action` on `resource` (None: the statement's Resource is not checked, as for
    trust policies). `context` maps lower-case condition keys to lists of strings. `principal`
    (trust policies only) must appear in the statement's Principal."""
    allowed = False
    for document in documents:
        statements = document["Statement"]
        for statement in statements if isinstance(statements, list) else [statements]:
            try:
                applies = _statement_applies(statement, action, resource, context, principal)
            except UnsupportedPolicy as error:
                log.warning("denying %s: %s", action, error)
                return DENY
            if applies:
                if statement["Effect"] == "Deny":
                    return DENY
                allowed = True
    return ALLOW if allowed else IMPLICIT_DENY


def _statement_applies(statement, action, resource, context, principal):
    if not _element_matches(statement, "Action", action, context, ignore_case=True):
        return False
    if resource is not None and not _element_matches(statement, "Resource", resource, context):
        return False
    if principal is not None and not _principal_matches(statement.get("Principal"), principal):
        return False
    return all(
        _condition_holds(operator, key, values, context)
        for operator, keys in statement.get("Condition", {}).items()
        for key, values in keys.items()
    )


def _element_matches(statement, name, value, context, ignore_case=False):
    """Action/NotAction, Resource/NotResource. A statement without either form matches all."""
    negated = "Not" + name in statement
    patterns = statement.get("Not" + name if negated else name)
    if patterns is None:
        return True
    hit = any(_glob(p, value, context, ignore_case) for p in _as_list(patterns))
    return hit != negated


def _principal_matches(expected, principal):
    """Trust policies: "*", or {"Federated" | "AWS" | "Service": one or a list}."""
    if expected == "*":
        return True
    if not isinstance(expected, dict):
        return False
    return any(v == "*" or principal in _as_list(v) for v in expected.values())


def _glob(pattern, value, context, ignore_case=False):
    pattern = _substitute(pattern, context)
    if pattern is None:
        return False
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


def _substitute(text, context):
    """Replace `${key}` by the context's single value; None when a key has no value."""
    missing = False

    def value_of(match):
        nonlocal missing
        values = context.get(match.group(1).lower())
        if not values or len(values) != 1:
            missing = True
            return ""
        return values[0]

    text = _VARIABLE.sub(value_of, str(text))
    return None if missing else text


def _equals(pattern, value, context):
    pattern = _substitute(pattern, context)
    return pattern is not None and pattern == value


def _equals_ignore_case(pattern, value, context):
    pattern = _substitute(pattern, context)
    return pattern is not None and pattern.lower() == value.lower()


# operator (lower case, without IfExists) -> (match one policy value against one request value, negated)
_OPERATORS = {
    "stringequals": (_equals, False),
    "stringnotequals": (_equals, True),
    "stringequalsignorecase": (_equals_ignore_case, False),
    "stringnotequalsignorecase": (_equals_ignore_case, True),
    "stringlike": (_glob, False),
    "stringnotlike": (_glob, True),
    "arnequals": (_glob, False),
    "arnlike": (_glob, False),
    "arnnotequals": (_glob, True),
    "arnnotlike": (_glob, True),
    "bool": (_equals_ignore_case, False),
}


def _condition_holds(operator, key, policy_values, context):
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
        hit = any(match(p, value, context) for p in policy_values)
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


def apply():
    from moto.cognitoidp.responses import CognitoIdpResponse

    IAMRequestBase.__init__ = _iam_request_init_unsigned
    IAMRequestBase.check_action_permitted = check_action_permitted
    ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = _authorize_normal_action_json_errors
    CognitoIdpResponse._determine_resource = _cognito_idp_resource
