"""DeleteIdentities, which stock moto 5.2.5 lacks (`make smoke` removes its users' identities).

As Cognito does: the identities disappear from ListIdentities, GetCredentialsForIdentity for one of
them is ResourceNotFoundException, and the next GetId of the same login creates a new identity with
a new IdentityId (identity.py derives ids from (pool, provider, sub); a deleted id is skipped).
Keys already handed out stay valid until they expire, as STS keys do. An id that is not there is
not an error (the run lists afterwards to prove it is gone). Moto internals: CognitoIdentityResponse
(a method added, _get_param), cognitoidentity_backends[...].pools_identities (through identity.py).
"""

import json

from moto.cognitoidentity.responses import CognitoIdentityResponse

from . import identity

_deleted = set()


def delete_identities(self):
    ids = self._get_param("IdentityIdsToDelete") or []
    if not isinstance(ids, list) or not 1 <= len(ids) <= 60:
        raise identity._error("InvalidParameterException", "IdentityIdsToDelete: 1 to 60 identity ids.")
    with identity._REGISTER:  # the lock GetId registers identities under
        for identity_id in ids:
            if not isinstance(identity_id, str) or ":" not in identity_id:
                continue
            backend = identity._backend(self.current_account, identity_id)
            for pool in backend.pools_identities.values():
                pool["Identities"] = [i for i in pool["Identities"] if i.get("IdentityId") != identity_id]
            _deleted.add(identity_id)
    return json.dumps({"UnprocessedIdentityIds": []})


def _skipping_deleted(derive):
    def identity_id(pool_id, provider, sub):
        candidate, generation = derive(pool_id, provider, sub), 0
        while candidate in _deleted:
            generation += 1
            candidate = derive(pool_id, provider, f"{sub}#{generation}")
        return candidate

    return identity_id


def apply():
    CognitoIdentityResponse.delete_identities = delete_identities
    identity._identity_id = _skipping_deleted(identity._identity_id)
