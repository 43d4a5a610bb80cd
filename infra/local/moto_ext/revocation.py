"""Refresh-token revocation as Cognito does it: the RevokeToken operation (stock moto 5.2.5 has
none), and refresh flows that refuse a revoked, unknown or another client's refresh token.

The state is moto's own map, CognitoIdpUserPool.refresh_tokens: refresh token -> (client id,
username, origin_jti), or None once revoked (moto's GlobalSignOut / AdminUserGlobalSignOut leave
None too, so every way of ending a session agrees). `revoke()` and `check_refresh()` are the only
code that reads or writes it for revocation; they raise `Refused(reason)` with a service-neutral
reason, so that another entry point (a managed-login /oauth2/revoke endpoint and its
refresh_token grant) can share the state and map the reasons to its own errors.

RevokeToken (Cognito API reference, RevokeToken; developer guide, "Ending user sessions with token
revocation" and "The token revocation endpoint"): public, unsigned, no IAM; 200 with `{}` for a
revoked token, an unknown token and an already revoked one (the revocation endpoint documents 200
"if the client submitted an invalid token"); the refresh token is revoked with every access token
issued from it (same `origin_jti`). The error for each refusal, from the operation's documented
errors, is in `API_ERRORS`; Cognito documents no message texts, the ones here are ours.
InitiateAuth / AdminInitiateAuth with REFRESH_TOKEN_AUTH / REFRESH_TOKEN: a revoked token is
NotAuthorizedException "Refresh Token has been revoked"; an unknown token, or one issued to another
app client, "Invalid Refresh Token" (AWS Knowledge Center, "Invalid Refresh Token" error).
"""

import base64
import hmac
import json
import re

from moto.cognitoidp.exceptions import InvalidParameterException, NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpBackend
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import JsonRESTError
from moto.core.responses import EmptyResult

# The request shapes of the API model (botocore's cognito-idp service-2.json).
_TOKEN = re.compile(r"[A-Za-z0-9\-_=.]+")
_CLIENT_ID = re.compile(r"[\w+]{1,128}")
_REFRESH_FLOWS = {"REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"}


class Refused(Exception):
    """A revocation or refresh refused, for `reason` (one of the keys of API_ERRORS / REFRESH_ERRORS)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


# RevokeToken's answer to each refusal: (error type, message).
API_ERRORS = {
    "invalid_request": ("InvalidParameterException", "Token and ClientId are required and must match their patterns."),
    "unknown_client": ("UnauthorizedException", "The client is not authorized to revoke this token."),
    "invalid_client_secret": ("UnauthorizedException", "The client is not authorized to revoke this token."),
    "other_client": ("UnauthorizedException", "The client is not authorized to revoke this token."),
    "revocation_disabled": ("UnsupportedOperationException", "Token revocation is not enabled for this app client."),
    "not_a_refresh_token": ("UnsupportedTokenTypeException", "Only refresh tokens can be revoked."),
}
# InitiateAuth / AdminInitiateAuth's answer to a refused refresh token (NotAuthorizedException).
REFRESH_ERRORS = {
    "revoked": "Refresh Token has been revoked",
    "invalid": "Invalid Refresh Token",
}


def find_client(backend, client_id):
    """(pool, client) of moto's for an app client id, or (None, None)."""
    for pool in backend.user_pools.values():
        if client_id in pool.clients:
            return pool, pool.clients[client_id]
    return None, None


def revoke(backend, client_id, client_secret, token):
    """Revoke `token` for `client_id` (RevokeToken's rules, in this order); Refused otherwise.
    Unknown and already revoked tokens are accepted silently."""
    # (ClientSecret's pattern is not checked: moto's secrets are UUIDs, which Cognito's pattern
    # refuses; a malformed secret is a wrong secret here.)
    if not isinstance(token, str) or not _TOKEN.fullmatch(token) \
            or not isinstance(client_id, str) or not _CLIENT_ID.fullmatch(client_id):
        raise Refused("invalid_request")
    pool, client = find_client(backend, client_id)
    if client is None:
        raise Refused("unknown_client")
    if client.generate_secret and not hmac.compare_digest(str(client_secret or "").encode(), client.secret.encode()):
        raise Refused("invalid_client_secret")
    if not client.extended_config.get("EnableTokenRevocation", True):
        raise Refused("revocation_disabled")
    if token in pool.access_tokens or token in pool.id_tokens:
        raise Refused("not_a_refresh_token")
    issued = pool.refresh_tokens.get(token)
    if issued is None:  # unknown, or already revoked
        return
    issued_to, _, origin_jti = issued
    if issued_to != client_id:
        raise Refused("other_client")
    pool.refresh_tokens[token] = None
    for access_token in [t for t in pool.access_tokens if _origin_jti(t) == origin_jti]:
        pool.access_tokens.pop(access_token, None)


def check_refresh(pool, client_id, token):
    """Refused("revoked" | "invalid") unless `token` is a live refresh token of `client_id`."""
    if not token or token not in pool.refresh_tokens:
        raise Refused("invalid")
    issued = pool.refresh_tokens[token]
    if issued is None:
        raise Refused("revoked")
    if issued[0] != client_id:
        raise Refused("invalid")


def _origin_jti(jwt):
    """The origin_jti claim of one of moto's JWTs (read only to find its siblings), or None."""
    try:
        claims = jwt.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4))).get("origin_jti")
    except (IndexError, ValueError, AttributeError):
        return None


def _refresh_guard(pool, client_id, auth_flow, auth_parameters):
    if auth_flow not in _REFRESH_FLOWS or pool is None:
        return
    token = (auth_parameters or {}).get("REFRESH_TOKEN")
    if not token:
        raise InvalidParameterException("Missing required parameter REFRESH_TOKEN")
    try:
        check_refresh(pool, client_id, token)
    except Refused as refused:
        # A fixed text: moto's own refusals quote the token.
        raise NotAuthorizedError(REFRESH_ERRORS[refused.reason]) from None


def apply():
    # Public in Cognito (no IAM, sent unsigned by the SDKs: the model's auth is noAuth).
    public = "AWSCognitoIdentityProviderService.RevokeToken"
    if public not in ActionAuthenticatorMixin.PUBLIC_OPERATIONS:
        ActionAuthenticatorMixin.PUBLIC_OPERATIONS.append(public)

    def revoke_token(self):
        try:
            revoke(self.backend, self._get_param("ClientId"), self._get_param("ClientSecret"), self._get_param("Token"))
        except Refused as refused:
            raise JsonRESTError(*API_ERRORS[refused.reason]) from None
        return EmptyResult()

    CognitoIdpResponse.revoke_token = revoke_token

    initiate, admin_initiate = CognitoIdpBackend.initiate_auth, CognitoIdpBackend.admin_initiate_auth

    def initiate_auth(self, client_id, auth_flow, auth_parameters):
        _refresh_guard(find_client(self, client_id)[0], client_id, auth_flow, auth_parameters)
        return initiate(self, client_id, auth_flow, auth_parameters)

    def admin_initiate_auth(self, user_pool_id, client_id, auth_flow, auth_parameters):
        pool = self.user_pools.get(user_pool_id)
        if pool is not None and client_id in pool.clients:
            _refresh_guard(pool, client_id, auth_flow, auth_parameters)
        return admin_initiate(self, user_pool_id, client_id, auth_flow, auth_parameters)

    CognitoIdpBackend.initiate_auth = initiate_auth
    CognitoIdpBackend.admin_initiate_auth = admin_initiate_auth
