"""Cognito identity pools as the enhanced (simplified) auth flow behaves on AWS.

Stock moto's GetId ignores Logins and returns a random id per call; GetCredentialsForIdentity
returns fixed fake keys; Set/GetIdentityPoolRoles are missing. Here:
- GetId verifies the Logins token (signature with the user pool's key, iss, aud = the client id
  configured for that provider, token_use = id, exp/nbf; with ServerSideTokenCheck not issued
  before the user's last global sign-out) and returns an IdentityId that is stable per (pool,
  provider, sub) (see "User state" below).
- GetCredentialsForIdentity verifies Logins the same way, requires that they map to the given
  IdentityId, with ServerSideTokenCheck also refuses a user who was deleted, checks the authenticated
  role's trust policy (Principal {"Federated": "cognito-identity.amazonaws.com"}, aud, amr),
  assumes the role through moto's STS and records which identity the keys belong to, for IAM
  policy variables.
Errors are JSON with AWS's codes, status 400.

User state (infra/local/README.md, "Faithfulness choices"). AWS documents ServerSideTokenCheck as:
the identity pool checks "that the user has not been globally signed out or deleted before the
identity pool provides an OIDC token or AWS credentials", else 400 NotAuthorized (API reference,
CognitoIdentityProvider). So:
- deleted user (no user with the token's sub), or a token issued before the user's last global
  sign-out (AdminUserGlobalSignOut / GlobalSignOut), ServerSideTokenCheck on:
  GetCredentialsForIdentity refuses (documented);
- GetId provides neither an OIDC token nor credentials, so whether it checks is not documented:
  for a deleted user, which our Lambda checks itself (AdminGetUser), it does not (permissive); for
  a token issued before a global sign-out, which our Lambda does not check, it refuses (stricter);
- disabled user: not documented for either call, and checked by our Lambda: both accept the
  still-valid token (permissive), so that tests prove the Lambda's own check refuses it.
"""

import base64
import json
import re
import threading
import time
import uuid
from datetime import timezone

from joserfc import jwt
from joserfc.errors import JoseError
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import JsonRESTError
from moto.cognitoidentity.models import cognitoidentity_backends
from moto.cognitoidentity.responses import CognitoIdentityResponse
from moto.cognitoidp.models import CognitoIdpUserPool, cognitoidp_backends
from moto.iam.models import iam_backends
from moto.sts.models import sts_backends

from .iam_eval import ALLOW, credential_owners, evaluate

CREDENTIALS_SECONDS = 3600  # enhanced-flow credentials last one hour
_IDENTITY_NAMESPACE = uuid.UUID("5b0e1f3c-8f4e-4b8e-9d3a-6c1f2a7e9b10")  # any fixed value
_USER_POOL_PROVIDER = re.compile(r"cognito-idp\.([a-z0-9-]+)\.amazonaws\.com/([\w-]+)")  # region, pool id
_REGISTER = threading.Lock()  # the server is threaded: one registration per new identity


def _error(code, message):
    return JsonRESTError(code, message)  # status 400


def _not_authorized(message):
    return _error("NotAuthorizedException", message)


def _invalid_configuration():
    return _error(
        "InvalidIdentityPoolConfigurationException",
        "Invalid identity pool configuration. Check assigned IAM roles for this pool.",
    )


def _backend(account_id, pool_or_identity_id):
    # Unsigned calls carry no region; ids start with it ("us-east-1:...").
    return cognitoidentity_backends[account_id][pool_or_identity_id.split(":", 1)[0]]


def _pool(account_id, pool_id):
    pool = _backend(account_id, pool_id).identity_pools.get(pool_id) if pool_id and ":" in pool_id else None
    if pool is None:
        raise _error("ResourceNotFoundException", f"IdentityPool '{pool_id}' not found.")
    return pool


def _verified_sub(account_id, provider, token):
    """The `sub` of a valid user-pool ID token issued for `provider` (a pool's provider entry)."""
    name = provider["ProviderName"]
    match = _USER_POOL_PROVIDER.fullmatch(name)
    try:
        user_pool = cognitoidp_backends[account_id][match[1]].user_pools.get(match[2]) if match else None
    except KeyError:  # not a region moto knows
        user_pool = None
    if user_pool is None:
        raise _not_authorized("Invalid login token. Couldn't verify signed token.")
    try:
        decoded = jwt.decode(token, user_pool.json_web_key, algorithms=["RS256"])
    except (JoseError, ValueError, TypeError):
        raise _not_authorized("Invalid login token. Couldn't verify signed token.") from None
    claims, now = decoded.claims, time.time()
    if decoded.header.get("kid") != user_pool.json_web_key.kid:
        raise _not_authorized("Invalid login token. Couldn't verify signed token.")
    if claims.get("iss") != f"https://{name}":
        raise _not_authorized("Invalid login token. Issuer doesn't match providerName")
    if claims.get("token_use") != "id":
        raise _not_authorized("Invalid login token. Not an ID token.")
    if provider.get("ClientId") and claims.get("aud") != provider["ClientId"]:
        raise _not_authorized("Invalid login token. Incorrect token audience.")
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= now:
        raise _not_authorized("Invalid login token. Token expired.")
    if isinstance(claims.get("nbf"), (int, float)) and claims["nbf"] > now:
        raise _not_authorized("Invalid login token. Token is not yet valid.")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise _not_authorized("Invalid login token. Missing sub.")
    return sub, claims


def _server_side_token_check(account_id, provider, sub, claims, providing_credentials):
    """The token must not predate the user's last global sign-out; when credentials are provided
    the user must also still exist (enabled or not: a disabled user is not refused). See the
    module docstring."""
    match = _USER_POOL_PROVIDER.fullmatch(provider["ProviderName"])
    user_pool = cognitoidp_backends[account_id][match[1]].user_pools.get(match[2])
    user = next((u for u in user_pool.users.values() if u.id == sub), None)
    if user is None:
        if providing_credentials:
            raise _not_authorized("Invalid login token. User does not exist.")
        return
    signed_out_at = getattr(user, "moto_ext_signed_out_at", None)
    if signed_out_at is not None and _issued_at(user_pool, claims) <= signed_out_at:
        raise _not_authorized("Invalid login token. Token has been revoked.")


def _issued_at(user_pool, claims):
    """When the token was issued: precisely for tokens moto minted (by jti; `iat` has whole
    seconds only), else `iat` (a token of the same second as the sign-out counts as before it)."""
    issued = getattr(user_pool, "moto_ext_issued", {}).get(claims.get("jti"))
    if issued is not None:
        return issued
    iat = claims.get("iat")
    return iat if isinstance(iat, (int, float)) else float("-inf")


def _verified_login(account_id, pool, logins, providing_credentials=False):
    """(provider name, sub) of the first configured provider in Logins; every login must verify.
    `providing_credentials`: GetCredentialsForIdentity (ServerSideTokenCheck also wants the user)."""
    if not logins:
        raise _not_authorized("Unauthenticated access is not supported for this identity pool.")
    providers = {p["ProviderName"]: p for p in pool.cognito_identity_providers or []}
    verified = []
    for name, token in logins.items():
        if name not in providers:
            raise _not_authorized("Token is not from a supported provider of this identity pool.")
        sub, claims = _verified_sub(account_id, providers[name], token)
        if providers[name].get("ServerSideTokenCheck"):
            _server_side_token_check(account_id, providers[name], sub, claims, providing_credentials)
        verified.append((name, sub))
    return min(verified)  # deterministic choice when several logins are given


def _identity_id(pool_id, provider, sub):
    # Stable per (pool, provider, sub), in AWS's "<region>:<uuid>" format.
    region = pool_id.split(":", 1)[0]
    return f"{region}:{uuid.uuid5(_IDENTITY_NAMESPACE, f'{pool_id}|{provider}|{sub}')}"


def _identities(backend, pool_id):
    """IdentityId -> record, in moto's pools_identities (which ListIdentities reads)."""
    return {i["IdentityId"]: i for i in backend.pools_identities[pool_id]["Identities"]}


# ---------------------------------------------------------------- response methods


def get_id(self):
    pool_id = self._get_param("IdentityPoolId")
    pool = _pool(self.current_account, pool_id)
    provider, sub = _verified_login(self.current_account, pool, self._get_param("Logins"))
    identity_id = _identity_id(pool_id, provider, sub)
    backend = _backend(self.current_account, pool_id)
    with _REGISTER:
        if identity_id not in _identities(backend, pool_id):
            backend.pools_identities[pool_id]["Identities"].append(
                {"IdentityId": identity_id, "Logins": [provider]}
            )
    return json.dumps({"IdentityId": identity_id})


def get_credentials_for_identity(self):
    account_id = self.current_account
    identity_id = self._get_param("IdentityId") or ""
    backend = _backend(account_id, identity_id) if ":" in identity_id else None
    pool_id = next(
        (p for p in (backend.pools_identities if backend else {}) if identity_id in _identities(backend, p)),
        None,
    )
    if pool_id is None:
        raise _error("ResourceNotFoundException", f"Identity '{identity_id}' not found.")
    pool = _pool(account_id, pool_id)
    provider, sub = _verified_login(account_id, pool, self._get_param("Logins"), providing_credentials=True)
    if _identity_id(pool_id, provider, sub) != identity_id:
        raise _not_authorized("Logins don't match. Please include at least one valid login for this identity or identity pool.")

    role_arn = getattr(pool, "moto_ext_roles", {}).get("authenticated")
    if not role_arn:
        raise _invalid_configuration()
    try:
        role = iam_backends[account_id]["aws"].get_role_by_arn(role_arn)
    except Exception:
        raise _invalid_configuration() from None
    # The condition context AWS gives the role's trust policy and, later, every policy evaluated
    # for these keys (the policy variables ${cognito-identity.amazonaws.com:sub|aud|amr}).
    context = {
        "cognito-identity.amazonaws.com:sub": [identity_id],
        "cognito-identity.amazonaws.com:aud": [pool_id],
        "cognito-identity.amazonaws.com:amr": ["authenticated", provider, f"{provider}:CognitoSignIn:{sub}"],
    }
    trust = role.assume_role_policy_document
    trust = json.loads(trust) if isinstance(trust, str) else trust
    caller = ("Federated", "cognito-identity.amazonaws.com")  # a web identity session principal
    if evaluate([trust], "sts:AssumeRoleWithWebIdentity", None, context, caller) != ALLOW:
        raise _invalid_configuration()

    assumed = sts_backends[account_id]["aws"].assume_role(
        region_name=identity_id.split(":", 1)[0],
        role_session_name="CognitoIdentityCredentials",
        role_arn=role_arn,
        policy=None,
        duration=CREDENTIALS_SECONDS,
        external_id=None,
    )
    credential_owners(account_id)[assumed.access_key_id] = context
    return json.dumps(
        {
            "IdentityId": identity_id,
            "Credentials": {
                "AccessKeyId": assumed.access_key_id,
                "SecretKey": assumed.secret_access_key,
                "SessionToken": assumed.session_token,
                "Expiration": assumed.expiration.replace(tzinfo=timezone.utc).timestamp(),
            },
        }
    )


def set_identity_pool_roles(self):
    pool = _pool(self.current_account, self._get_param("IdentityPoolId"))
    pool.moto_ext_roles = self._get_param("Roles") or {}
    pool.moto_ext_role_mappings = self._get_param("RoleMappings") or {}  # stored, not evaluated
    return ""


def get_identity_pool_roles(self):
    pool = _pool(self.current_account, self._get_param("IdentityPoolId"))
    return json.dumps(
        {
            "IdentityPoolId": pool.identity_pool_id,
            "Roles": getattr(pool, "moto_ext_roles", {}),
            "RoleMappings": getattr(pool, "moto_ext_role_mappings", {}),
        }
    )


def _recording_issue_time(create_jwt):
    """Remember when each token was minted (by jti), to order tokens and global sign-outs."""

    def create_jwt_recorded(self, *args, **kwargs):
        token, expires_in = create_jwt(self, *args, **kwargs)
        jti = json.loads(_b64url_decode(token.split(".")[1])).get("jti")
        if not hasattr(self, "moto_ext_issued"):
            self.moto_ext_issued = {}
        self.moto_ext_issued[jti] = time.time()
        return token, expires_in

    return create_jwt_recorded


def _recording_sign_out(sign_out):
    """AdminUserGlobalSignOut / GlobalSignOut: moto drops the user's access and refresh tokens;
    also remember when, for ServerSideTokenCheck on ID tokens."""

    def sign_out_recorded(self, username):
        sign_out(self, username)
        user = self.users.get(username) or self._get_user(username)
        if user is not None:
            user.moto_ext_signed_out_at = time.time()

    return sign_out_recorded


def _b64url_decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def apply():
    # The SDKs send GetCredentialsForIdentity unsigned, like GetId (already public in moto).
    public = "AWSCognitoIdentityService.GetCredentialsForIdentity"
    if public not in ActionAuthenticatorMixin.PUBLIC_OPERATIONS:
        ActionAuthenticatorMixin.PUBLIC_OPERATIONS.append(public)
    CognitoIdentityResponse.get_id = get_id
    CognitoIdentityResponse.get_credentials_for_identity = get_credentials_for_identity
    CognitoIdentityResponse.set_identity_pool_roles = set_identity_pool_roles
    CognitoIdentityResponse.get_identity_pool_roles = get_identity_pool_roles
    CognitoIdpUserPool.create_jwt = _recording_issue_time(CognitoIdpUserPool.create_jwt)
    CognitoIdpUserPool.sign_out = _recording_sign_out(CognitoIdpUserPool.sign_out)
