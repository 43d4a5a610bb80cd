"""The OAuth 2.0 / OpenID Connect side of the managed login: authlib's authorization server and
grants, bound to moto's user pool and app clients, with Cognito's rules where they differ from
authlib's defaults (each marked "Cognito:" below; the choices where AWS is silent are in
infra/local/README.md, "Managed login").
"""

import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    UnauthorizedClientError,
    UnsupportedTokenTypeError,
)
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core.grants import OpenIDCode
from moto_ext import revocation

from . import tokens

# Cognito: "Must be pre-registered ... and must be enabled for federation"; the scopes a client
# may allow; phone, email and profile "can only be requested if openid scope is also requested".
SYSTEM_SCOPES = ("openid", "email", "phone", "profile", "aws.cognito.signin.user.admin")
NEEDS_OPENID = ("email", "phone", "profile")
CODE_SECONDS = 300  # Cognito: "a one time use code that is valid for five minutes"


@dataclass
class Principal:
    """The signed-in user an authorization (code, tokens) is for."""

    username: str
    sub: str
    auth_time: int
    origin_jti: str | None = None

    def get_user_id(self):
        return self.sub


class Client(ClientMixin):
    """One of moto's app clients, as authlib asks about it."""

    def __init__(self, moto_client):
        self.moto = moto_client
        self.client_id = moto_client.id
        self.config = moto_client.extended_config
        self.confidential = bool(moto_client.generate_secret)

    # -------------------------------------------------------------- Cognito's client settings
    @property
    def oauth_enabled(self):
        return bool(self.config.get("AllowedOAuthFlowsUserPoolClient")) and "COGNITO" in (
            self.config.get("SupportedIdentityProviders") or [])

    @property
    def allowed_scopes(self):
        return list(self.config.get("AllowedOAuthScopes") or [])

    @property
    def revocation_enabled(self):
        return self.config.get("EnableTokenRevocation", True) is not False

    @property
    def hides_user_existence(self):
        return self.config.get("PreventUserExistenceErrors") == "ENABLED"

    def allows_logout_uri(self, uri):
        return uri in (self.config.get("LogoutURLs") or [])

    # -------------------------------------------------------------- authlib's ClientMixin
    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None  # Cognito: redirect_uri is required

    def check_redirect_uri(self, redirect_uri):
        # Exactly one of the registered callback URLs, character for character.
        return redirect_uri in (self.config.get("CallbackURLs") or [])

    def get_allowed_scope(self, scope):
        """The granted scope, or None (invalid_scope). No scope: all the client's scopes."""
        if not scope:
            return " ".join(self.allowed_scopes)
        requested = scope_to_list(scope)
        if any(s not in self.allowed_scopes for s in requested):
            return None
        if "openid" not in requested and any(s in NEEDS_OPENID for s in requested):
            return None
        return " ".join(dict.fromkeys(requested))

    def check_client_secret(self, client_secret):
        return self.confidential and hmac.compare_digest(client_secret.encode(), self.moto.secret.encode())

    def check_endpoint_auth_method(self, method, endpoint):
        if not self.confidential:
            return method == "none"
        if endpoint == "revocation":  # Cognito: the secret in the Authorization header (Basic)
            return method == "client_secret_basic"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        flow = {"code": "code", "token": "implicit"}.get(response_type)
        return self.oauth_enabled and flow in (self.config.get("AllowedOAuthFlows") or [])

    def check_grant_type(self, grant_type):
        if grant_type == "authorization_code":
            return self.oauth_enabled and "code" in (self.config.get("AllowedOAuthFlows") or [])
        if grant_type == "refresh_token":
            flows = self.config.get("ExplicitAuthFlows")
            return not flows or "ALLOW_REFRESH_TOKEN_AUTH" in flows or "REFRESH_TOKEN" in flows
        return False


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    principal: Principal
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.principal.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return None


@dataclass
class RefreshRecord:
    token: str
    client_id: str
    username: str
    origin_jti: str
    scope: str
    auth_time: int

    def check_client(self, client):
        return client.client_id == self.client_id

    def get_scope(self):
        return self.scope


@dataclass
class State:
    """What the managed login keeps between requests (in memory, like the rest of the stack)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    codes: dict = field(default_factory=dict)  # code -> AuthorizationCode
    refresh_meta: dict = field(default_factory=dict)  # refresh token -> (scope, auth_time)


def user_principal(pool, username, auth_time=None, origin_jti=None):
    """The pool's user as a Principal, or None when it is gone or disabled."""
    user = pool._get_user(username) if username else None
    if user is None or not user.enabled:
        return None
    return Principal(user.username, user.id, auth_time or int(time.time()), origin_jti)


# ------------------------------------------------------------------ token generation


def token_generator(server):
    """authlib's token generator: the pool's access token (+ a refresh token for the code grant)."""

    def generate(grant_type, client, user, scope, expires_in=None, include_refresh_token=True):
        pool = server.pool()
        token = {}
        if include_refresh_token:
            refresh, user.origin_jti = tokens.new_refresh_token(pool, client.client_id, user.username)
            with server.state.lock:
                server.state.refresh_meta[refresh] = (scope, user.auth_time)
            token["refresh_token"] = refresh
        elif user.origin_jti is None:
            user.origin_jti = secrets.token_hex(16)
        access = tokens.access_token(pool, client.client_id, user.username, scope, user.origin_jti, user.auth_time)
        return {"access_token": access, "expires_in": tokens.VALIDITY, "token_type": "Bearer", **token,
                "scope": scope}  # `scope` is read by the OIDC hook and dropped before answering

    return generate


def add_id_token(server, token, client, principal, scope, nonce=None):
    if "openid" in scope_to_list(scope):
        token["id_token"] = tokens.id_token(server.pool(), client.client_id, principal.username,
                                            principal.origin_jti, principal.auth_time, token["access_token"], nonce)
    return token


# ------------------------------------------------------------------ grants


class S256Only(CodeChallenge):
    """PKCE as Cognito runs it: S256 only; a challenge without its method, or another method, is
    `invalid_request` (Cognito's documented negative responses). PKCE stays optional."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if data.get("code_challenge") and not data.get("code_challenge_method"):
            raise InvalidRequestError("Missing 'code_challenge_method'")
        if data.get("code_challenge_method") and not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge'")
        return super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def save_authorization_code(self, code, request):
        data = request.payload.data
        entry = AuthorizationCode(
            code=code, client_id=request.client.client_id, redirect_uri=request.payload.redirect_uri,
            scope=request.scope, principal=request.user, nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"), code_challenge_method=data.get("code_challenge_method"),
            expires_at=time.time() + CODE_SECONDS,
        )
        with self.server.state.lock:
            self.server.state.codes[code] = entry

    def query_authorization_code(self, code, client):
        # Single use from the first attempt on: a redemption that then fails (wrong verifier,
        # wrong redirect_uri) uses the code up too.
        with self.server.state.lock:
            entry = self.server.state.codes.pop(code, None)
        if entry is None or entry.client_id != client.client_id or entry.expires_at <= time.time():
            return None
        return entry

    def delete_authorization_code(self, authorization_code):
        pass  # already taken out by query_authorization_code

    def authenticate_user(self, authorization_code):
        principal = authorization_code.principal
        current = user_principal(self.server.pool(), principal.username, principal.auth_time)
        if current is None or current.sub != principal.sub:
            return None  # invalid_grant: the user is gone or disabled since signing in
        return current


class CognitoOpenIDCode(OpenIDCode):
    """OpenID Connect on the code grant: the ID token is the pool's (see tokens.py)."""

    def __init__(self, server):
        super().__init__(require_nonce=False)
        self.server = server

    def exists_nonce(self, nonce, request):
        return False  # Cognito keeps no nonce store; the client checks its nonce in the ID token

    def process_token(self, grant, response):
        _, token, _ = response
        code = grant.request.authorization_code
        return add_id_token(self.server, token, grant.request.client, grant.request.user, code.scope, code.nonce)


class RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def authenticate_refresh_token(self, refresh_token):
        # The refresh flows' own check (moto_ext/revocation.py): revoked by /oauth2/revoke,
        # RevokeToken or a global sign-out, unknown, or another client's: invalid_grant.
        try:
            revocation.check_refresh(self.server.pool(), self.request.client.client_id, refresh_token)
        except revocation.Refused:
            return None
        record = self.server.refresh_record(refresh_token)
        if record is None:
            return None
        if user_principal(self.server.pool(), record.username) is None:
            return None  # invalid_grant: user disabled or deleted
        return record

    def authenticate_user(self, record):
        return user_principal(self.server.pool(), record.username, record.auth_time, record.origin_jti)

    def issue_token(self, user, record):
        token = self.generate_token(user=user, scope=record.scope, include_refresh_token=False)
        return add_id_token(self.server, token, self.request.client, user, record.scope)

    def revoke_old_credential(self, refresh_token):
        pass  # no refresh-token rotation: the same refresh token stays valid


class TokenGrant(grants.ImplicitGrant):
    """`response_type=token`, for clients that allow the implicit flow: the access token, and the
    ID token when `openid` is in scope, in the fragment (Cognito never returns a refresh token here)."""

    def authenticate_token_endpoint_client(self):
        # authlib reserves the implicit grant to public clients; Cognito lets any client that
        # allows the flow use it (the request carries no secret either way).
        client = self.server.query_client(self.request.payload.client_id)
        if client is None:
            raise InvalidClientError()
        return client

    def create_authorization_response(self, redirect_uri, grant_user):
        self.request.user = grant_user
        grant_user.origin_jti = None
        token = self.generate_token(user=grant_user, scope=self.request.scope, include_refresh_token=False)
        add_id_token(self.server, token, self.request.client, grant_user, self.request.scope,
                     self.request.payload.data.get("nonce"))
        params = [(k, token[k]) for k in ("id_token", "access_token") if k in token]
        params += [("token_type", "Bearer"), ("expires_in", str(token["expires_in"]))]
        if self.request.payload.state:
            params.append(("state", self.request.payload.state))
        return 302, "", [("Location", add_params_to_uri(redirect_uri, params, fragment=True))]


# /oauth2/revoke's answer to each refusal of the shared revocation (moto_ext/revocation.py); the
# client was authenticated before (authlib), so the client refusals are only a second look.
REVOKE_ERRORS = {
    "invalid_request": InvalidRequestError,
    "unknown_client": InvalidClientError,
    "invalid_client_secret": InvalidClientError,
    "other_client": InvalidGrantError,  # RFC 7009 (authlib's rule); nothing is revoked
    "revocation_disabled": InvalidRequestError,
    "not_a_refresh_token": UnsupportedTokenTypeError,
}


class Revocation(RevocationEndpoint):
    """`/oauth2/revoke`: refresh tokens only; 200 for a token it does not know. The revocation is
    RevokeToken's (moto_ext/revocation.py, moto's refresh-token map): the refresh flows of both the
    API and this domain refuse the token afterwards, and its access tokens are dropped."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "none"]

    def check_params(self, request, client):
        if not request.form.get("token"):
            raise InvalidRequestError()

    def authenticate_token(self, request, client):
        self.check_params(request, client)
        if not client.revocation_enabled:
            raise InvalidRequestError()
        value = request.form["token"]
        if looks_like_jwt(value):
            raise UnsupportedTokenTypeError()  # an access or ID token is not a refresh token
        return value

    def revoke_token(self, token, request):
        client = request.client
        try:
            revocation.revoke(self.server.backend(), client.client_id,
                              client.moto.secret if client.confidential else None, token)
        except revocation.Refused as refused:
            raise REVOKE_ERRORS[refused.reason]() from None


def looks_like_jwt(value):
    parts = value.split(".")
    return len(parts) in (3, 5) and all(parts)


def check_authorization_client(client, redirect_uri):
    """Cognito's first checks at /oauth2/authorize and /login, before any redirect to the client:
    None when the client exists and the redirect URI is one of its callback URLs, else the
    error code shown on the domain's own error page."""
    if client is None or not redirect_uri or not client.check_redirect_uri(redirect_uri):
        return "redirect_mismatch"
    return None


def unauthorized_if_oauth_off(client, redirect_uri):
    if not client.oauth_enabled:
        raise UnauthorizedClientError(redirect_uri=redirect_uri)
