"""SECRET_HASH, checked as Cognito checks it (stock moto's AdminInitiateAuth never looks at it, and
its InitiateAuth answers a wrong one with the hash itself as the message).

For an app client with a secret, InitiateAuth and AdminInitiateAuth need
`SECRET_HASH = Base64(HMAC-SHA256(key=client secret, message=USERNAME + ClientId))`; Cognito answers
400 NotAuthorizedException "Client <id> is configured with secret but SECRET_HASH was not received"
when it is missing and "Unable to verify secret hash for client <id>" when it is wrong. For the
refresh-token flows the hash is also required; which name it is computed over (username or `sub`)
is not documented, so either is accepted there (infra/local/README.md). Clients without a secret
are not checked (Cognito ignores a SECRET_HASH they send).
"""

import base64
import hashlib
import hmac

from moto.cognitoidp.exceptions import NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpBackend

_PASSWORD_FLOWS = {"USER_PASSWORD_AUTH", "USER_SRP_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"}
_REFRESH_FLOWS = {"REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"}


def secret_hash(client_secret, client_id, username):
    digest = hmac.new(client_secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def check(pool, client, auth_flow, parameters):
    """Raise NotAuthorizedError when `client` has a secret and `parameters` lack the right hash."""
    if client is None or not client.generate_secret or auth_flow not in _PASSWORD_FLOWS | _REFRESH_FLOWS:
        return
    given = (parameters or {}).get("SECRET_HASH")
    if not given:
        raise NotAuthorizedError(f"Client {client.id} is configured with secret but SECRET_HASH was not received")
    if auth_flow in _PASSWORD_FLOWS:
        names = [(parameters or {}).get("USERNAME") or ""]
    else:
        entry = pool.refresh_tokens.get((parameters or {}).get("REFRESH_TOKEN") or "") if pool else None
        user = pool._get_user(entry[1]) if entry else None
        if user is None:
            return  # an unknown or revoked refresh token: moto's own refusal follows
        names = [user.username, user.id]
    if not any(hmac.compare_digest(given, secret_hash(client.secret, client.id, name)) for name in names):
        raise NotAuthorizedError(f"Unable to verify secret hash for client {client.id}")


def _find(backend, client_id, pool_id=None):
    pools = [backend.user_pools[pool_id]] if pool_id in backend.user_pools else backend.user_pools.values()
    return next(((p, p.clients[client_id]) for p in pools if client_id in p.clients), (None, None))


def apply():
    initiate, admin_initiate = CognitoIdpBackend.initiate_auth, CognitoIdpBackend.admin_initiate_auth

    def initiate_auth(self, client_id, auth_flow, auth_parameters):
        check(*_find(self, client_id), auth_flow, auth_parameters)
        return initiate(self, client_id, auth_flow, auth_parameters)

    def admin_initiate_auth(self, user_pool_id, client_id, auth_flow, auth_parameters):
        check(*_find(self, client_id, user_pool_id), auth_flow, auth_parameters)
        return admin_initiate(self, user_pool_id, client_id, auth_flow, auth_parameters)

    CognitoIdpBackend.initiate_auth = initiate_auth
    CognitoIdpBackend.admin_initiate_auth = admin_initiate_auth
