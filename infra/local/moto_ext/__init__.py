"""Makes moto 5.2.5 faithful to the read-file flow (see infra/local/README.md and DESIGN.md).

`apply()` patches moto in place; call it before the server handles its first request.
`wrap(app)` adds the test-only control endpoints (/moto-ext/...) around moto's WSGI app.

Moto internals touched (why moto is pinned with `==`; the canary breaks loudly if these move):
- moto.core.authorization.ActionAuthenticatorMixin: PUBLIC_OPERATIONS (GetCredentialsForIdentity
  arrives unsigned, like GetId), _authenticate_and_authorize_normal_action (wrapped: auth errors of
  JSON-protocol services become JSON), request_count is read through moto.settings
  .INITIAL_NO_AUTH_ACTION_COUNT for the health report.
- moto.iam.access_control: IAMRequestBase.__init__ (wrapped: unsigned requests are refused
  instead of crashing), IAMRequestBase.check_action_permitted (replaced by our evaluator) and
  the attributes it reads (_access_key, _action, _data, _service, account_id,
  _raise_access_denied, _is_assuming_role_operation, _check_role_trust_relationship),
  IAMPolicy(...)._policy_json, AssumedRoleAccessKey._access_key_id, S3IAMRequest.
- moto.iam.models.iam_backends[account]["aws"]: get_role_by_arn, Role.assume_role_policy_document.
- moto.sts.models.sts_backends[account]["aws"]: assume_role, AssumedRole (access_key_id,
  secret_access_key, session_token, expiration).
- moto.s3.models.s3_backends[account]["aws"]: get_object (is a key there?).
- moto.cognitoidentity: CognitoIdentityResponse (methods added/replaced, _get_param,
  current_account), cognitoidentity_backends (identity_pools, pools_identities),
  CognitoIdentityPool.cognito_identity_providers.
- moto.cognitoidp: CognitoIdpResponse (_determine_resource added: the pool ARN, so pool-scoped
  policies match), cognitoidp_backends[account][region].user_pools[id] (json_web_key, users,
  CognitoIdpUser.id / .enabled).
"""

from . import control, iam_eval, identity


def apply() -> None:
    iam_eval.apply()
    identity.apply()


def wrap(app, extra=None):
    """`extra`: more control endpoints, {(method, path): handler(body) -> (status, value)}."""
    return control.ControlMiddleware(app, extra)
