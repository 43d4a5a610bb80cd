"""App clients' ExplicitAuthFlows, enforced as Cognito does (stock moto accepts every flow on
every client): InitiateAuth / AdminInitiateAuth with a flow the client does not allow is
400 `InvalidParameterException` "<FLOW> flow not enabled for this client".

Which ExplicitAuthFlows value allows which AuthFlow (Cognito API reference, CreateUserPoolClient):
the ALLOW_* names and the legacy ones. A client created without ExplicitAuthFlows gets Cognito's
defaults (SRP, refresh token, custom auth).
"""

from moto.cognitoidp.exceptions import InvalidParameterException
from moto.cognitoidp.models import CognitoIdpBackend

_ALLOWED_BY = {
    "USER_PASSWORD_AUTH": {"ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"},
    "ADMIN_USER_PASSWORD_AUTH": {"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"},
    "ADMIN_NO_SRP_AUTH": {"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"},
    "USER_SRP_AUTH": {"ALLOW_USER_SRP_AUTH"},
    "REFRESH_TOKEN_AUTH": {"ALLOW_REFRESH_TOKEN_AUTH"},
    "REFRESH_TOKEN": {"ALLOW_REFRESH_TOKEN_AUTH"},
    "CUSTOM_AUTH": {"ALLOW_CUSTOM_AUTH", "CUSTOM_AUTH_FLOW_ONLY"},
}
_DEFAULT_FLOWS = {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_CUSTOM_AUTH"}


def check(client, auth_flow):
    """Raise InvalidParameterException when `client` (moto's) does not allow `auth_flow`."""
    allowed = set(client.extended_config.get("ExplicitAuthFlows") or _DEFAULT_FLOWS)
    needed = _ALLOWED_BY.get(auth_flow)
    if needed is not None and not needed & allowed:
        raise InvalidParameterException(f"{auth_flow} flow not enabled for this client")


def _client(backend, client_id, pool_id=None):
    pools = [backend.user_pools[pool_id]] if pool_id in backend.user_pools else backend.user_pools.values()
    return next((p.clients[client_id] for p in pools if client_id in p.clients), None)


def apply():
    initiate, admin_initiate = CognitoIdpBackend.initiate_auth, CognitoIdpBackend.admin_initiate_auth

    def initiate_auth(self, client_id, auth_flow, auth_parameters):
        client = _client(self, client_id)
        if client is not None:
            check(client, auth_flow)
        return initiate(self, client_id, auth_flow, auth_parameters)

    def admin_initiate_auth(self, user_pool_id, client_id, auth_flow, auth_parameters):
        client = _client(self, client_id, user_pool_id)
        if client is not None:
            check(client, auth_flow)
        return admin_initiate(self, user_pool_id, client_id, auth_flow, auth_parameters)

    CognitoIdpBackend.initiate_auth = initiate_auth
    CognitoIdpBackend.admin_initiate_auth = admin_initiate_auth
