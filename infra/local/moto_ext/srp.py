"""USER_SRP_AUTH as Cognito runs it: the server side of its SRP-6a variant, so that a password
proof is checked (stock moto answers a random SRP_B and salt and accepts any signature).

InitiateAuth(USER_SRP_AUTH, USERNAME, SRP_A) answers PASSWORD_VERIFIER with SALT, SRP_B,
SECRET_BLOCK and USER_ID_FOR_SRP; RespondToAuthChallenge(PASSWORD_VERIFIER) must carry
PASSWORD_CLAIM_SIGNATURE = base64(HMAC-SHA256(K, poolName | USER_ID_FOR_SRP | SECRET_BLOCK bytes |
TIMESTAMP)), where K is the key both sides derive. Wrong password: NotAuthorizedException
"Incorrect username or password.", as Cognito answers.

The rules are those every Cognito SRP client implements (Amplify's AuthenticationHelper, pycognito's
AWSSRP): N the 3072-bit MODP prime of RFC 3526 (section 4), g = 2, H = SHA-256 over the bytes of
"padded hex" (even length, a leading 00 when the top bit is set), k = H(N | g),
x = H(salt | H(poolName | USER_ID_FOR_SRP | ":" | password)), v = g^x, B = k*v + g^b, u = H(A | B),
S = (A * v^u)^b, K = HKDF-SHA256(salt = u, ikm = S, info = "Caldera Derived Key")[:16];
poolName is the part of the pool id after "_". The canary proves it against pycognito, an
independent client; the web page's client (examples/web/src/srp.ts) is proven by the browser test.
"""

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time

from moto.cognitoidp.exceptions import InvalidParameterException, NotAuthorizedError
from moto.core.authorization import ActionAuthenticatorMixin
from moto.cognitoidp.models import CognitoIdpBackend

N = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    16,
)
G = 2
CHALLENGE_SECONDS = 180  # Cognito's default AuthSessionValidity (3 minutes)
# "Sun Nov 29 17:43:07 UTC 2026": the day of the month without a leading zero, as the clients send it.
_TIMESTAMP = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                        r"[1-9]\d? \d\d:\d\d:\d\d UTC \d{4}")


def pad_hex(value):
    """Cognito's padded hex of an int or a hex string: even length, and 00 first when the top bit is set."""
    text = value if isinstance(value, str) else format(value, "x")
    if len(text) % 2:
        return "0" + text
    return "00" + text if text[0] in "89abcdefABCDEF" else text


def hex_hash(hex_text):
    return hashlib.sha256(bytes.fromhex(hex_text)).hexdigest()


K_MULTIPLIER = int(hex_hash(pad_hex(N) + pad_hex(G)), 16)


def verifier(pool_name, user_id, password, salt_hex):
    """v = g^x mod N for a user's password (Cognito stores v; moto keeps the password itself)."""
    inner = hashlib.sha256(f"{pool_name}{user_id}:{password}".encode()).hexdigest()
    x = int(hex_hash(pad_hex(salt_hex) + inner), 16)
    return pow(G, x, N)


def session_key(a_value, b_value, small_b, v):
    """K, the 16-byte key of the exchange, as the server computes it; None if u is 0."""
    u = int(hex_hash(pad_hex(a_value) + pad_hex(b_value)), 16)
    if u == 0:
        return None
    s = pow(a_value * pow(v, u, N) % N, small_b, N)
    prk = hmac.new(bytes.fromhex(pad_hex(u)), bytes.fromhex(pad_hex(s)), hashlib.sha256).digest()
    return hmac.new(prk, b"Caldera Derived Key\x01", hashlib.sha256).digest()[:16]


def claim_signature(key, pool_name, user_id, secret_block_b64, timestamp):
    message = pool_name.encode() + user_id.encode() + base64.b64decode(secret_block_b64) + timestamp.encode()
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def new_salt():
    """16 random bytes as hex, the first byte 0x10-0x7f: no leading zero digit and no top bit, so
    clients that pad the salt as a number and those that pad it as text hash the same bytes."""
    first = 0x10 + secrets.randbelow(0x70)
    return f"{first:02x}" + secrets.token_hex(15)


class _Challenges:
    """Open PASSWORD_VERIFIER challenges by SECRET_BLOCK: single use, expire after 3 minutes."""

    def __init__(self):
        self.lock = threading.Lock()
        self.open = {}

    def add(self, secret_block, state):
        with self.lock:
            now = time.monotonic()
            self.open = {k: v for k, v in self.open.items() if v["expires"] > now}
            self.open[secret_block] = {**state, "expires": now + CHALLENGE_SECONDS}

    def take(self, secret_block):
        with self.lock:
            state = self.open.pop(secret_block, None)
        return state if state and state["expires"] > time.monotonic() else None


CHALLENGES = _Challenges()


def apply():
    # Public in Cognito, like InitiateAuth (which moto lists already): browsers call it unsigned.
    public = "AWSCognitoIdentityProviderService.RespondToAuthChallenge"
    if public not in ActionAuthenticatorMixin.PUBLIC_OPERATIONS:
        ActionAuthenticatorMixin.PUBLIC_OPERATIONS.append(public)
    initiate, respond = CognitoIdpBackend.initiate_auth, CognitoIdpBackend.respond_to_auth_challenge

    def initiate_auth(self, client_id, auth_flow, auth_parameters):
        if auth_flow == "USER_SRP_AUTH":
            try:
                a_value = int(auth_parameters.get("SRP_A") or "", 16)
            except ValueError:
                raise InvalidParameterException("SRP_A is not a hexadecimal number") from None
            if a_value % N == 0:
                raise InvalidParameterException("SRP_A is invalid")
        result = initiate(self, client_id, auth_flow, auth_parameters)
        if auth_flow != "USER_SRP_AUTH" or result.get("ChallengeName") != "PASSWORD_VERIFIER":
            return result
        moto_session = result["Session"]  # moto keys its own state by this
        username, pool = self.sessions[moto_session]
        user = self.admin_get_user(pool.id, username)
        pool_name = pool.id.split("_", 1)[1]
        salt = new_salt()
        v = verifier(pool_name, user.username, user.password, salt)
        small_b = secrets.randbelow(N - 2) + 1
        b_value = (K_MULTIPLIER * v + pow(G, small_b, N)) % N
        secret_block = base64.b64encode(secrets.token_bytes(64)).decode()
        CHALLENGES.add(secret_block, {"moto_session": moto_session, "pool_id": pool.id, "client_id": client_id,
                                      "username": user.username, "a": a_value, "b": b_value,
                                      "small_b": small_b, "v": v})
        result["ChallengeParameters"] = {
            "SALT": salt,
            "SRP_B": format(b_value, "x"),
            "USERNAME": user.username,
            "USER_ID_FOR_SRP": user.username,
            "SECRET_BLOCK": secret_block,
        }
        return result

    def respond_to_auth_challenge(self, session, client_id, challenge_name, challenge_responses):
        if challenge_name != "PASSWORD_VERIFIER":
            return respond(self, session, client_id, challenge_name, challenge_responses)
        responses = dict(challenge_responses or {})
        state = CHALLENGES.take(responses.get("PASSWORD_CLAIM_SECRET_BLOCK") or "")
        if state is None or state["client_id"] != client_id:
            raise NotAuthorizedError("Invalid session for the user.")
        timestamp = responses.get("TIMESTAMP") or ""
        if not _TIMESTAMP.fullmatch(timestamp) or responses.get("USERNAME") != state["username"]:
            raise NotAuthorizedError("Incorrect username or password.")
        pool_name = state["pool_id"].split("_", 1)[1]
        key = session_key(state["a"], state["b"], state["small_b"], state["v"])
        expected = key and claim_signature(key, pool_name, state["username"],
                                           responses["PASSWORD_CLAIM_SECRET_BLOCK"], timestamp)
        if not expected or not hmac.compare_digest(expected, responses.get("PASSWORD_CLAIM_SIGNATURE") or ""):
            self.sessions.pop(state["moto_session"], None)
            raise NotAuthorizedError("Incorrect username or password.")
        # Proven: moto's own branch issues the tokens (or the next challenge) for its session.
        responses["PASSWORD_CLAIM_SECRET_BLOCK"] = state["moto_session"]
        return respond(self, session, client_id, challenge_name, responses)

    CognitoIdpBackend.initiate_auth = initiate_auth
    CognitoIdpBackend.respond_to_auth_challenge = respond_to_auth_challenge
