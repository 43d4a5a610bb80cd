"""Makes moto 5.2.5 faithful to the read-file flow (see infra/local/README.md and DESIGN.md).

`apply()` patches moto in place; call it before the server handles its first request.
`wrap(app)` adds the test-only control endpoints (/moto-ext/...) and CORS as AWS answers it
(cors.py) around moto's WSGI app.

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
- moto.iam.models.iam_backends[account]["aws"]: get_role_by_arn, Role.assume_role_policy_document;
  IAMBackend.create_role (wrapped: the trust policy is validated, as UpdateAssumeRolePolicy does).
- moto.iam.policy_validation: IAMPolicyDocumentValidator.validate and
  IAMTrustPolicyDocumentValidator.validate (wrapped: our stricter checks, iam_eval.validate, and
  the _policy_document they read); moto.iam.exceptions.MalformedPolicyDocument.
- moto.sts.models.sts_backends[account]["aws"]: assume_role, AssumedRole (access_key_id,
  secret_access_key, session_token, expiration).
- moto.s3.models.s3_backends[account]["aws"]: get_object (is a key there?).
- moto.cognitoidentity: CognitoIdentityResponse (methods added/replaced, _get_param,
  current_account), cognitoidentity_backends (identity_pools, pools_identities),
  CognitoIdentityPool.cognito_identity_providers.
- identity_admin.py: CognitoIdentityResponse.delete_identities (added), pools_identities, and
  identity._identity_id (wrapped: a deleted IdentityId is never handed out again).
- moto.cognitoidp: CognitoIdpResponse (_determine_resource added: the pool ARN, so pool-scoped
  policies match), cognitoidp_backends[account][region].user_pools[id] (json_web_key, users,
  CognitoIdpUser.id), CognitoIdpUserPool.create_jwt (wrapped: issue time per jti) and
  CognitoIdpUserPool.sign_out (wrapped: time of the user's last global sign-out), _get_user.
- presign.py (SigV4 presigned S3 URLs): ActionAuthenticatorMixin._authenticate_and_authorize_action
  (wrapped: S3 requests with X-Amz-Algorithm/X-Amz-Signature in the query use a subclass of
  S3IAMRequest that reads the query), moto.iam.access_control.create_access_key /
  CreateAccessKeyFailure, sts_backends[account]["aws"].assumed_roles[].expiration, the WSGI
  environ behind request.headers (RAW_URI, QUERY_STRING).
- s3_fixes.py: S3Backend.list_objects_v2 (wrapped: an unknown continuation token is S3's 400
  InvalidArgument, not a 500); a WSGI middleware refuses chunked S3 uploads (501) before moto
  de-chunks them; S3Backend._pagination_tokens, moto.s3.exceptions.InvalidContinuationToken;
  FakeKey.status (a part, without a bucket, no longer breaks /moto-api/data.json),
  ManagedState.status.
- multipart.py (an upload id belongs to its key; ListPartsResult; CopyObject's If-None-Match):
  S3Response.upload_part / upload_part_copy / list_parts / abort_multipart_upload /
  _complete_multipart_body / copy_object (wrapped), S3Response.parse_key_name / _get_param,
  S3Backend.get_bucket(...).multiparts (FakeMultipart.key_name), moto.s3.exceptions.NoSuchUpload /
  PreconditionFailed. iam_eval.py for copies and DeleteObjects: S3Response
  ._bucket_response_delete_keys and .setup_class (wrapped), FakeBucket.get_permission (wrapped: a
  key IAM refused is denied where moto asks about each key), IAMRequestBase._method / _body.
- auth_flows.py: CognitoIdpBackend.initiate_auth / admin_initiate_auth (wrapped: the client's
  ExplicitAuthFlows, read from CognitoIdpUserPoolClient.extended_config, are enforced),
  moto.cognitoidp.exceptions.InvalidParameterException.
- secret_hash.py (SECRET_HASH of app clients with a secret): CognitoIdpBackend.initiate_auth /
  admin_initiate_auth (wrapped), CognitoIdpUserPoolClient.generate_secret / .secret / .id,
  CognitoIdpUserPool.refresh_tokens / _get_user, moto.cognitoidp.exceptions.NotAuthorizedError.
- srp.py (USER_SRP_AUTH with a checked password proof): CognitoIdpBackend.initiate_auth /
  respond_to_auth_challenge (wrapped), CognitoIdpBackend.sessions (moto's challenge sessions),
  admin_get_user, CognitoIdpUser.username / .password, the PASSWORD_VERIFIER branch of
  respond_to_auth_challenge (keyed by PASSWORD_CLAIM_SECRET_BLOCK), NotAuthorizedError;
  ActionAuthenticatorMixin.PUBLIC_OPERATIONS (RespondToAuthChallenge arrives unsigned).
- revocation.py (RevokeToken; refresh flows refuse revoked, unknown and other clients' refresh
  tokens): CognitoIdpResponse (revoke_token added, backend, _get_param), CognitoIdpBackend
  .initiate_auth / admin_initiate_auth (wrapped), CognitoIdpUserPool.refresh_tokens (token ->
  (client id, username, origin_jti), None once revoked), .access_tokens, .id_tokens, .clients,
  CognitoIdpUserPoolClient.generate_secret / .secret / .extended_config["EnableTokenRevocation"],
  moto.core.exceptions.JsonRESTError, moto.core.responses.EmptyResult,
  ActionAuthenticatorMixin.PUBLIC_OPERATIONS (RevokeToken arrives unsigned).
- dynamodb.py (the session table authorized against its ARN): moto.dynamodb.responses.DynamoHandler
  (_determine_resource added; reads body, region, current_account).
- user_events.py (revoking user-pool calls delivered to the `revocations` function):
  ActionAuthenticatorMixin.PUBLIC_OPERATIONS (GlobalSignOut, public in Cognito), CognitoIdpBackend.admin_disable_user / admin_enable_user / admin_delete_user /
  admin_user_global_sign_out / global_sign_out (wrapped), admin_get_user, account_id, region_name,
  user_pools[...].access_tokens, CognitoIdpUser.id; installed by server.py with its Emitter.
- cors.py (CORS as AWS answers it; flask_cors is switched off by server.py through
  MOTO_DISABLE_GLOBAL_CORS): s3_backends[account]["aws"].buckets[name].cors (CorsRule:
  allowed_origins, allowed_methods, allowed_headers, exposed_headers, max_age_seconds).
"""

from . import (
    auth_flows,
    calls_and_faults,
    dynamodb,
    iam_eval,
    identity,
    identity_admin,
    multipart,
    presign,
    revocation,
    s3_fixes,
    secret_hash,
    srp,
)


def apply() -> None:
    srp.apply()
    revocation.apply()  # after srp: a refused refresh token never reaches moto's refresh code
    secret_hash.apply()  # after revocation: the client's secret is checked before its refresh token
    auth_flows.apply()  # last: the flow check runs first
    iam_eval.apply()
    identity.apply()
    identity_admin.apply()  # after identity: it wraps identity's id derivation
    presign.apply()
    s3_fixes.apply()
    multipart.apply()
    dynamodb.apply()


def wrap(app, extra=None, secret=None):
    """`extra`: more control endpoints, {(method, path): handler(body) -> (status, value)}; `secret`:
    what every request to a control endpoint (/moto-ext/..., /moto-api/...) must carry."""
    from .cors import CorsMiddleware

    return CorsMiddleware(calls_and_faults.ControlMiddleware(s3_fixes.ChunkedUploads(app), extra, secret))
