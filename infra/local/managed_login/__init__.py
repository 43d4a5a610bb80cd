"""Cognito's managed login (the hosted UI's OAuth 2.0 / OpenID Connect endpoints) for the local stack.

Neither moto nor cognito-local serves `/oauth2/*`; this package does, with authlib's authorization
server (oauth.py) over moto's user pool, so the tokens are the pool's own (tokens.py). See
infra/local/README.md, "Managed login", for what is emulated and the choices made where AWS is
silent.

  serve(domain, host, port)      the domain's server (not started): `serve_forever()` in a thread
  discovery(app, login_url, stack_url)  WSGI middleware for the stack's port: each user pool's
                                 /<pool>/.well-known/openid-configuration, as Cognito serves it
  endpoints(server)              test-only control endpoints, served under /moto-ext/ like the others:
                                   GET  /moto-ext/managed-login         {"sign_in": n, "token:refresh_token": n, "error:token:invalid_grant": n, ...}
                                   POST /moto-ext/managed-login/reset   zero them

Moto internals read (moto is pinned; the canary breaks loudly when they move):
cognitoidp_backends[account][region].user_pool_domains / user_pools; CognitoIdpUserPool:
clients, users, _get_user, json_web_key, create_jwt, create_refresh_token, refresh_tokens,
access_tokens, id_tokens, get_user_extra_data_by_client_id; CognitoIdpUserPoolClient: id, secret,
generate_secret, extended_config; CognitoIdpUser: id, username, password, enabled, status,
attributes, groups.
"""

import json

from moto.cognitoidp.models import cognitoidp_backends
from moto.core import DEFAULT_ACCOUNT_ID
from werkzeug.serving import WSGIRequestHandler, make_server

from .app import REGION, create_app

_DISCOVERY_SUFFIX = "/.well-known/openid-configuration"


def server_of(app):
    return app.extensions["managed_login"]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-"):
        # The path without its query: /login and /oauth2/authorize carry state, nonce and PKCE there.
        self.log("info", '"%s %s" %s', self.command, self.path.split("?", 1)[0], code)


def serve(domain, host, port):
    """A threaded server of the managed-login domain `domain`; raises OSError when the port is taken."""
    app = create_app(domain)
    return app, make_server(host, port, app, threaded=True, request_handler=_QuietHandler)


def discovery_document(pool, login_url, stack_url):
    """What Cognito answers at https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/openid-configuration:
    the real issuer, the stack's JWKS (moto serves it) and the local domain's endpoints; none of
    the fields Cognito omits (end_session_endpoint, revocation_endpoint, grant_types_supported,
    code_challenge_methods_supported)."""
    issuer = f"https://cognito-idp.{REGION}.amazonaws.com/{pool.id}"
    return {
        "authorization_endpoint": f"{login_url}/oauth2/authorize",
        "id_token_signing_alg_values_supported": ["RS256"],
        "issuer": issuer,
        "jwks_uri": f"{stack_url}/{pool.id}/.well-known/jwks.json",
        "response_types_supported": ["code", "token"],
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "subject_types_supported": ["public"],
        "token_endpoint": f"{login_url}/oauth2/token",
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "userinfo_endpoint": f"{login_url}/oauth2/userInfo",
    }


class discovery:  # noqa: N801 (a WSGI middleware, used like a function)
    def __init__(self, app, login_url, stack_url):
        self.app, self.login_url, self.stack_url = app, login_url, stack_url

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and path.endswith(_DISCOVERY_SUFFIX):
            pool_id = path[1:-len(_DISCOVERY_SUFFIX)]
            pool = cognitoidp_backends[DEFAULT_ACCOUNT_ID][REGION].user_pools.get(pool_id) if "/" not in pool_id else None
            if pool is not None:
                return _json(start_response, "200 OK", discovery_document(pool, self.login_url, self.stack_url))
            return _json(start_response, "404 Not Found", {"message": f"User pool {pool_id} does not exist."})
        return self.app(environ, start_response)


def _json(start_response, status, value):
    body = json.dumps(value).encode()
    # Cognito's well-known documents serve browser OIDC clients of any origin.
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                            ("Access-Control-Allow-Origin", "*")])
    return [body]


def endpoints(app):
    server = server_of(app)

    def stats(_raw):
        with server.counts_lock:
            return 200, dict(sorted(server.counts.items()))

    def reset(_raw):
        with server.counts_lock:
            server.counts.clear()
        return 200, {}

    return {("GET", "/moto-ext/managed-login"): stats, ("POST", "/moto-ext/managed-login/reset"): reset}
