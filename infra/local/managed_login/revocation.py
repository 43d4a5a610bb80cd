"""Revoked refresh tokens, shared by the refresh grant and `/oauth2/revoke`.

Cognito's `/oauth2/revoke` (and the `RevokeToken` API) revokes a refresh token and every access
token issued from it; the tokens carry the refresh token's `origin_jti`, so the store keeps
revoked `origin_jti` values. Its interface is two methods, `revoke(origin_jti)` and
`is_revoked(origin_jti)`.

To share one store with the moto extension's RevokeToken, replace the last line with that store
(one line): the refresh grant, `/oauth2/revoke` and `/oauth2/userInfo` all go through `STORE`.
"""

import threading


class RevocationStore:
    def __init__(self):
        self._lock = threading.Lock()
        self._revoked = set()

    def revoke(self, origin_jti):
        with self._lock:
            self._revoked.add(origin_jti)

    def is_revoked(self, origin_jti):
        with self._lock:
            return origin_jti in self._revoked


STORE = RevocationStore()
