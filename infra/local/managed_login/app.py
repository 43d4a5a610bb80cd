"""The managed-login domain: a Flask app on its own port, served from the stack's process so that
it reads moto's user pool (users, passwords, app clients, keys) directly.

  GET  /oauth2/authorize   code (+ PKCE S256) or token; session cookie -> straight back with a code
  GET  /login              the sign-in page;  POST /login  checks the password as the pool does
  POST /oauth2/token       authorization_code, refresh_token
  GET|POST /oauth2/userInfo    the user's attributes for an access token with `openid`
  POST /oauth2/revoke      a refresh token (and the access tokens issued from it)
  GET  /logout             ends the session; back to a registered logout_uri
  GET  /error              the domain's error page
"""

import hmac
import json
import secrets
import threading
import time
from collections import Counter
from urllib.parse import urlencode

from authlib.common.urls import add_params_to_uri
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749.errors import InvalidScopeError, OAuth2Error
from authlib.oauth2.rfc6749.util import scope_to_list
from flask import Flask, Response, g, redirect, request
from joserfc import jwt
from joserfc.errors import JoseError
from moto.cognitoidp.models import cognitoidp_backends
from moto.core import DEFAULT_ACCOUNT_ID

from . import oauth, pages

REGION = "us-east-1"
SESSION_COOKIE = "cognito"  # Cognito's own cookie names on the domain
CSRF_COOKIE = "XSRF-TOKEN"
SESSION_SECONDS = 3600  # Cognito: the managed-login session lasts one hour
USERINFO_INVALID = 'error="invalid_token", error_description="Access token is expired, disabled, or deleted, or the user has globally signed out."'
# Attributes userInfo returns per scope (Cognito's userInfo page); `openid` alone: all readable ones.
SCOPE_ATTRIBUTES = {
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
    "profile": ("name", "family_name", "given_name", "middle_name", "nickname", "preferred_username", "profile",
                "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at"),
}


class ManagedLogin(AuthorizationServer):
    """authlib's authorization server over the user pool that owns `domain`."""

    def __init__(self, domain):
        self.domain = domain
        self.state = oauth.State()
        self.sessions = {}  # session cookie value -> (pool id, username, sub, auth_time, expires)
        self.counts = Counter()
        self.counts_lock = threading.Lock()
        super().__init__(query_client=self._query_client, save_token=lambda token, request: None)

    # ------------------------------------------------------------------ moto's state
    @staticmethod
    def backend():
        return cognitoidp_backends[DEFAULT_ACCOUNT_ID][REGION]

    def pool(self):
        backend = self.backend()
        entry = backend.user_pool_domains.get(self.domain)
        return backend.user_pools.get(entry.user_pool_id) if entry else None

    def _query_client(self, client_id):
        pool = self.pool()
        moto_client = pool.clients.get(client_id) if pool and client_id else None
        return oauth.Client(moto_client) if moto_client else None

    def refresh_record(self, token):
        pool = self.pool()
        entry = pool.refresh_tokens.get(token) if pool and token else None
        if entry is None:  # unknown, or revoked (moto keeps the key with None)
            return None
        with self.state.lock:
            meta = self.state.refresh_meta.get(token)
        if meta is None:  # not issued by the managed login (InitiateAuth): see the README
            return None
        client_id, username, origin_jti = entry
        return oauth.RefreshRecord(token, client_id, username, origin_jti, *meta)

    def count(self, key):
        with self.counts_lock:
            self.counts[key] += 1

    # ------------------------------------------------------------------ Cognito's answers
    def handle_response(self, status_code, payload, headers):
        if g.get("endpoint") == "revoke" and status_code == 200:
            payload = ""  # Cognito: "A successful response contains an empty body"
        elif isinstance(payload, dict):
            payload = {k: v for k, v in payload.items() if k != "scope"}  # Cognito returns no scope
        return super().handle_response(status_code, payload, headers)

    def handle_error_response(self, request, error):
        self.count(f"error:{g.get('endpoint', 'authorize')}:{error.error}")
        if g.get("endpoint") in ("token", "revoke"):
            # Cognito: {"error": "..."} only; 400, but 401 for a bad client at /oauth2/revoke.
            status = 401 if g.endpoint == "revoke" and error.error == "invalid_client" else 400
            return Response(json.dumps({"error": error.error}), status=status,
                            headers={"Content-Type": "application/json", "Cache-Control": "no-store"})
        if error.redirect_uri:  # a validated redirect URI: the error goes back to the client
            params = [("error", error.error)]
            if error.state:
                params.append(("state", error.state))
            return redirect(add_params_to_uri(error.redirect_uri, params, fragment=error.redirect_fragment), 302)
        return error_page(error.error)

    # ------------------------------------------------------------------ the domain's session
    def signed_in(self):
        """The session's user (a Principal), if the cookie names a live session of a current user."""
        session = self.sessions.get(request.cookies.get(SESSION_COOKIE, ""))
        pool = self.pool()
        if session is None or pool is None or session[0] != pool.id or session[4] <= time.time():
            return None
        principal = oauth.user_principal(pool, session[1], session[3])
        return principal if principal and principal.sub == session[2] else None

    def start_session(self, response, principal):
        value = secrets.token_urlsafe(32)
        self.sessions[value] = (self.pool().id, principal.username, principal.sub, principal.auth_time,
                                time.time() + SESSION_SECONDS)
        response.set_cookie(SESSION_COOKIE, value, max_age=SESSION_SECONDS, httponly=True, samesite="Lax")

    def end_session(self, response):
        self.sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
        response.delete_cookie(SESSION_COOKIE)


def error_page(message, status=400):
    return Response(pages.error(message), status=status, headers={"Content-Type": "text/html; charset=utf-8", **pages.HEADERS})


def create_app(domain):
    app = Flask(__name__)
    server = ManagedLogin(domain)
    server.register_token_generator("default", oauth.token_generator(server))
    server.register_grant(oauth.CodeGrant, [oauth.S256Only(required=False), oauth.CognitoOpenIDCode(server)])
    server.register_grant(oauth.TokenGrant)
    server.register_grant(oauth.RefreshGrant)
    server.register_endpoint(oauth.Revocation)
    app.extensions["managed_login"] = server

    def authorization_target():
        """(client, None) when client_id and redirect_uri pass Cognito's first check, else
        (None, the error page)."""
        client = server.query_client(request.args.get("client_id"))
        problem = oauth.check_authorization_client(client, request.args.get("redirect_uri"))
        if problem:
            server.count(f"error:authorize:{problem}")
            return None, redirect(f"/error?{urlencode({'error': problem, 'client_id': request.args.get('client_id', '')})}")
        return client, None

    def grant_for(user):
        """authlib's validated authorization request, or the error response."""
        client, failure = authorization_target()
        if failure:
            return None, failure
        if request.args.get("response_type") not in ("code", "token"):
            # Cognito: a missing or other response_type is invalid_request, sent to the client
            params = {"error": "invalid_request", **({"state": request.args["state"]} if request.args.get("state") else {})}
            return None, redirect(f"{request.args['redirect_uri']}?{urlencode(params)}")
        try:
            oauth.unauthorized_if_oauth_off(client, request.args["redirect_uri"])
            grant = server.get_consent_grant(end_user=user)
        except OAuth2Error as error:
            error.state = request.args.get("state")
            if error.redirect_uri is None and isinstance(error, InvalidScopeError):
                error.redirect_uri = request.args["redirect_uri"]
            return None, server.handle_error_response(None, error)
        return grant, None

    @app.before_request
    def no_pool():
        if server.pool() is None:
            return error_page(f"No user pool has the domain {domain!r} (is the stack provisioned?)", 404)
        return None

    @app.get("/oauth2/authorize")
    def authorize():
        server.count("authorize")
        user = server.signed_in()
        grant, failure = grant_for(user)
        if failure:
            return failure
        if user is not None and grant.prompt != "login":
            server.count("authorize:session")
            return server.create_authorization_response(grant_user=user, grant=grant)
        return redirect(f"/login?{urlencode(list(request.args.items(multi=True)))}")

    @app.route("/login", methods=["GET", "POST"])
    def login():
        grant, failure = grant_for(None)
        if failure:
            return failure
        client = grant.request.client
        csrf = request.cookies.get(CSRF_COOKIE)
        if request.method == "GET" or not csrf:
            return sign_in_page(csrf)
        if not hmac.compare_digest(request.form.get("_csrf", ""), csrf):
            server.count("error:login:csrf")
            return error_page("Invalid request: the sign-in form expired. Go back and sign in again.", 403)
        username, password = request.form.get("username", "").strip(), request.form.get("password", "")
        principal, refusal = check_password(server.pool(), client, username, password)
        if refusal:
            server.count(f"sign_in_refused:{refusal}")
            return sign_in_page(csrf, refusal, username)
        server.count("sign_in")
        grant, failure = grant_for(principal)
        if failure:
            return failure
        response = server.create_authorization_response(grant_user=principal, grant=grant)
        server.start_session(response, principal)
        return response

    def sign_in_page(csrf, error=None, username=""):
        fresh = csrf or secrets.token_urlsafe(24)
        body = pages.sign_in(f"/login?{urlencode(list(request.args.items(multi=True)))}", fresh, domain, error, username)
        response = Response(body, headers={"Content-Type": "text/html; charset=utf-8", **pages.HEADERS})
        if not csrf:
            response.set_cookie(CSRF_COOKIE, fresh, httponly=True, samesite="Lax")
        return response

    @app.post("/oauth2/token")
    def token():
        g.endpoint = "token"
        server.count(f"token:{request.form.get('grant_type', '')}")
        return cors(server.create_token_response())

    @app.post("/oauth2/revoke")
    def revoke():
        g.endpoint = "revoke"
        server.count("revoke")
        return cors(server.create_endpoint_response("revocation"))

    @app.route("/oauth2/userInfo", methods=["GET", "POST"])
    def userinfo():
        server.count("userinfo")
        kind, _, value = request.headers.get("Authorization", "").partition(" ")
        if kind.lower() != "bearer" or not value.strip():
            server.count("error:userinfo:invalid_request")
            return cors(Response(status=400, headers={
                "WWW-Authenticate": 'error="invalid_request", error_description="Bad OAuth2 request at UserInfo Endpoint"'}))
        claims = user_info(server.pool(), value.strip())
        if claims is None:
            server.count("error:userinfo:invalid_token")
            return cors(Response(status=401, headers={"WWW-Authenticate": USERINFO_INVALID}))
        return cors(Response(json.dumps(claims), headers={"Content-Type": "application/json;charset=UTF-8"}))

    @app.route("/oauth2/<path:_any>", methods=["OPTIONS"])
    def preflight(_any):
        return cors(Response(status=204), preflight=True)

    @app.get("/logout")
    def logout():
        server.count("logout")
        client = server.query_client(request.args.get("client_id"))
        logout_uri = request.args.get("logout_uri")
        if client is not None and logout_uri and client.allows_logout_uri(logout_uri):
            response = redirect(logout_uri)
        elif client is not None and request.args.get("redirect_uri") and not logout_uri:
            # Cognito: sign out, then the sign-in page with the same parameters as /oauth2/authorize
            client_ok, failure = authorization_target()
            if failure:
                return failure
            response = redirect(f"/login?{urlencode(list(request.args.items(multi=True)))}")
        else:
            server.count("error:logout:redirect_uri")
            return error_page("Required String parameter 'redirect_uri' is not present")
        server.end_session(response)
        return response

    @app.get("/error")
    def error():
        return error_page(request.args.get("error", "An error occurred"))

    return app


def cors(response, preflight=False):
    """Cognito's token, revoke and userInfo endpoints serve browsers of any origin (Amplify's
    signInWithRedirect posts to /oauth2/token from the page)."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    if preflight:
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = request.headers.get("Access-Control-Request-Headers", "")
        response.headers["Access-Control-Max-Age"] = "3600"
    return response


def check_password(pool, client, username, password):
    """(Principal, None) when the password is right and the user may sign in, else (None, the
    sentence Cognito's sign-in page shows)."""
    user = pool._get_user(username) if username else None
    if user is None:
        return None, "Incorrect username or password." if client.hides_user_existence else "User does not exist."
    if not hmac.compare_digest(str(user.password or "").encode(), password.encode()):
        return None, "Incorrect username or password."
    if not user.enabled:
        return None, "User is disabled."
    if user.status in ("FORCE_CHANGE_PASSWORD", "RESET_REQUIRED"):  # moto's UserStatus is a str enum
        return None, "This user must set a new password, which the local managed login does not emulate."
    return oauth.user_principal(pool, user.username, int(time.time())), None


def user_info(pool, access_token):
    """userInfo's answer for a valid access token with the `openid` scope, else None."""
    try:
        claims = jwt.decode(access_token, pool.json_web_key, algorithms=["RS256"]).claims
    except (JoseError, ValueError, TypeError):
        return None
    scopes = scope_to_list(claims.get("scope") or "") or []
    if (claims.get("token_use") != "access" or claims.get("iss") != f"https://cognito-idp.{REGION}.amazonaws.com/{pool.id}"
            or not isinstance(claims.get("exp"), int) or claims["exp"] <= time.time() or "openid" not in scopes
            or access_token not in pool.access_tokens):  # revocation and sign-out drop it there
        return None
    user = next((u for u in pool.users.values() if u.id == claims.get("sub")), None)
    if user is None or not user.enabled:
        return None
    attributes = {a["Name"]: a["Value"] for a in user.attributes}
    wanted = set(attributes) if scopes == ["openid"] else {
        name for scope in scopes for name in SCOPE_ATTRIBUTES.get(scope, ())}
    answer = {k: v for k, v in attributes.items() if k in wanted and k != "sub"}
    return {"sub": user.id, **answer, "username": user.username}
