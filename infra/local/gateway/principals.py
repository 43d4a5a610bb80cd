"""Who signed: the principal behind an access key, from the local stack's own STS and IAM (moto).

Runs inside the stack's server process, so it reads moto's backends directly: the keys the stack's
STS issued (GetCredentialsForIdentity assumes the authenticated role through it), their expiry,
the Cognito identity they were issued to (moto_ext/identity.py records it), and the principal's
IAM policies, which the stack's IAM evaluator (moto_ext/iam_eval.py) judges.
"""

import datetime
from dataclasses import dataclass, field

from moto.iam.access_control import AssumedRoleAccessKey, CreateAccessKeyFailure, IAMPolicy, create_access_key
from moto.iam.models import get_account_id_from, iam_backends
from moto.sts.models import sts_backends

from moto_ext.iam_eval import credential_owners

from .auth import expired_token, invalid_token


@dataclass
class Principal:
    arn: str
    account_id: str
    access_key: str
    secret_key: str
    user_id: str  # "AROA...:session" for an assumed role, "AIDA..." for a user
    documents: list  # IAM policy documents (dicts)
    context: dict = field(default_factory=dict)  # condition keys, e.g. cognito-identity.amazonaws.com:sub

    @property
    def cognito_identity_id(self):
        return (self.context.get("cognito-identity.amazonaws.com:sub") or [None])[0]

    @property
    def cognito_pool_id(self):
        return (self.context.get("cognito-identity.amazonaws.com:aud") or [None])[0]

    @property
    def cognito_provider(self):
        """API Gateway's cognitoAuthenticationProvider: "<provider>,<provider>:CognitoSignIn:<sub>"."""
        amr = self.context.get("cognito-identity.amazonaws.com:amr") or []
        sign_in = [a for a in amr if ":CognitoSignIn:" in a]
        return f"{sign_in[0].split(':CognitoSignIn:')[0]},{sign_in[0]}" if sign_in else None


def _assumed_role(access_key_id):
    """(account id, moto AssumedRole) of a key moto's STS issued, else (None, None)."""
    for account_id, partitions in list(sts_backends.items()):
        backend = partitions.get("aws") if hasattr(partitions, "get") else None
        for assumed in list(getattr(backend, "assumed_roles", []) or []):
            if assumed.access_key_id == access_key_id:
                return account_id, assumed
    return None, None


def resolve(access_key_id, session_token, now=None):
    """The principal of an access key, or AuthError as API Gateway answers it: an unknown key, a
    missing or wrong session token, or a user key with a token -> invalid; an expired one -> expired."""
    account_id, assumed = _assumed_role(access_key_id)
    if assumed is None:
        account_id = get_account_id_from(access_key_id)
    headers = {"X-Amz-Security-Token": session_token} if session_token is not None else {}
    try:
        key = create_access_key(account_id=account_id, partition="aws", access_key_id=access_key_id, headers=headers)
    except (CreateAccessKeyFailure, KeyError):
        raise invalid_token() from None
    if isinstance(key, AssumedRoleAccessKey):
        now = now or datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        if assumed is None or assumed.expiration <= now:
            raise expired_token()
        user_id = assumed.user_id
        context = dict(credential_owners(account_id).get(access_key_id, {}))
    else:
        user = iam_backends[account_id]["aws"].get_user(key._owner_user_name)
        user_id = user.id
        context = {}
    documents = [IAMPolicy(policy)._policy_json for policy in key.collect_policies()]
    return Principal(
        arn=key.arn, account_id=account_id, access_key=access_key_id, secret_key=key._secret_access_key,
        user_id=user_id, documents=documents, context=context,
    )


def expire(access_key_id):
    """Test-only: make an issued STS key expired now. True when the key exists."""
    _, assumed = _assumed_role(access_key_id)
    if assumed is None:
        return False
    assumed.expiration = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(seconds=1)
    return True
