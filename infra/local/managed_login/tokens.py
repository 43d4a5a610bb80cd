"""Tokens minted as the user pool mints them: moto's own `create_jwt` (the pool's key, `kid`,
issuer and claims, the same tokens `AdminInitiateAuth` hands out), with the claims that Cognito's
managed login adds: `scope` and `version` in access tokens; `nonce`, `at_hash` and the first
sign-in's `auth_time` in ID tokens; `origin_jti` (the refresh token's) in both. Refresh tokens are
moto's, in the pool's own store, so `InitiateAuth` with `REFRESH_TOKEN_AUTH` and global sign-out
see them as well.
"""

import base64
import hashlib

VALIDITY = 3600  # seconds: the pool's tokens (moto's fixed 1 h, the CDK app's idTokenValidity)


def at_hash(access_token):
    """OIDC Core 3.1.3.6: the left half of SHA-256 of the access token, base64url (RS256)."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def new_refresh_token(pool, client_id, username):
    """(refresh_token, origin_jti), stored in the pool's refresh-token store (moto's)."""
    return pool.create_refresh_token(client_id, username)


def access_token(pool, client_id, username, scope, origin_jti, auth_time):
    extra = {"origin_jti": origin_jti, "scope": scope, "version": 2, "auth_time": auth_time}
    groups = [group.group_name for group in pool._get_user(username).groups]
    if groups:
        extra["cognito:groups"] = groups
    token, _ = pool.create_jwt(client_id, username, "access", expires_in=VALIDITY, extra_data=extra)
    pool.access_tokens[token] = (client_id, username)  # as moto registers its own (GetUser, sign-out)
    return token


def id_token(pool, client_id, username, origin_jti, auth_time, access, nonce=None):
    extra = pool.get_user_extra_data_by_client_id(client_id, username)
    user = pool._get_user(username)
    for attribute in user.attributes:
        if attribute["Name"].startswith("custom:"):
            extra[attribute["Name"]] = attribute["Value"]
    if user.groups:
        extra["cognito:groups"] = [group.group_name for group in user.groups]
    extra.update(origin_jti=origin_jti, auth_time=auth_time, at_hash=at_hash(access))
    if nonce:
        extra["nonce"] = nonce
    token, _ = pool.create_jwt(client_id, username, "id", expires_in=VALIDITY, extra_data=extra)
    pool.id_tokens[token] = (client_id, username)
    return token
