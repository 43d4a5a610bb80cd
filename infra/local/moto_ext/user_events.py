"""The user pool's revoking calls, delivered to the `revocations` function as EventBridge delivers
CloudTrail's management events ("AWS API Call via CloudTrail"), after a configurable delay.

On AWS, CloudTrail records every user-pool API call; an EventBridge rule on `aws.cognito-idp`
(infra/lib) sends AdminDisableUser, AdminDeleteUser, AdminUserGlobalSignOut, GlobalSignOut,
DeleteUser and AdminEnableUser to the function, best effort, typically within seconds (a P99 of
about 90 s is reported). Here the same calls, when they succeed, emit the same event shape to the
function's Invoke API (`POST <function url>/2015-03-31/functions/revocations/invocations`, the
API `cargo lambda watch` serves, as the API gateway invokes `read-file`), `delay_ms` later; with
`lost` on, they are dropped instead (the case the shared TTL covers). Moto 5.2.5 has no DeleteUser:
its events cannot be emitted here (the function's unit tests read one).

The shape, and the fields AWS does not document, are in infra/local/README.md ("Revocation
events"). Failed calls emit nothing (CloudTrail records them with an `errorCode`, which the rule's
pattern excludes).

  GET  /moto-ext/user-events          {"function_url", "delay_ms", "lost", "emitted", "delivered",
                                       "failed", "dropped", "pending", "recent": [...]}
  POST /moto-ext/user-events/config   {"delay_ms": 0..600000, "lost": bool, "function_url": "http://..."}
  POST /moto-ext/user-events/reset    zero the counters, forget `recent`

Moto internals touched: ActionAuthenticatorMixin.PUBLIC_OPERATIONS (GlobalSignOut added: public
in Cognito, sent unsigned), moto.cognitoidp.models.CognitoIdpBackend.admin_disable_user,
admin_enable_user, admin_delete_user, admin_user_global_sign_out, global_sign_out (wrapped: the
user's `sub` is read before the call, the event emitted after it succeeded), admin_get_user,
account_id, region_name, user_pools[...].access_tokens, CognitoIdpUser.id (the `sub`).
"""

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import deque

FUNCTION = "revocations"
# `make dev`'s delay: about what EventBridge takes on a good day; tests set their own.
DEFAULT_DELAY_MS = 2000
HIDDEN = "HIDDEN_FOR_SECURITY_REASONS"
# The first invocation of a function under `cargo lambda watch` waits for its debug build.
DELIVERY_TIMEOUT = 600
RECENT = 20


class Emitter:
    """Holds the delivery settings and counts; `emit` schedules one event."""

    def __init__(self, function_url, delay_ms=DEFAULT_DELAY_MS):
        self.lock = threading.Lock()
        self.function_url = function_url.rstrip("/")
        self.delay_ms = delay_ms
        self.lost = False
        self.counts = {"emitted": 0, "delivered": 0, "failed": 0, "dropped": 0, "pending": 0}
        self.recent = deque(maxlen=RECENT)

    def configure(self, delay_ms=None, lost=None, function_url=None):
        with self.lock:
            if delay_ms is not None:
                self.delay_ms = delay_ms
            if lost is not None:
                self.lost = lost
            if function_url is not None:
                self.function_url = function_url.rstrip("/")

    def reset(self):
        with self.lock:
            pending = self.counts["pending"]
            self.counts = {name: 0 for name in self.counts}
            self.counts["pending"] = pending
            self.recent.clear()

    def stats(self):
        with self.lock:
            return {"function_url": self.function_url, "function": FUNCTION, "delay_ms": self.delay_ms,
                    "lost": self.lost, **self.counts, "recent": list(self.recent)}

    def emit(self, event):
        with self.lock:
            self.counts["emitted"] += 1
            note = {"eventName": event["detail"]["eventName"], "sub": event["detail"]["additionalEventData"]["sub"]}
            if self.lost:
                self.counts["dropped"] += 1
                self.recent.append({**note, "outcome": "dropped"})
                return
            self.counts["pending"] += 1
            delay, url = self.delay_ms / 1000, self.function_url
        timer = threading.Timer(delay, self._deliver, args=(url, event, note))
        timer.daemon = True
        timer.start()

    def _deliver(self, url, event, note):
        request = urllib.request.Request(
            f"{url}/2015-03-31/functions/{FUNCTION}/invocations", data=json.dumps(event).encode(),
            method="POST", headers={"Content-Type": "application/json"},
        )
        outcome, answer = "failed", None
        try:
            with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT) as response:
                body = response.read()
                if not response.headers.get("X-Amz-Function-Error"):
                    outcome = "delivered"
                answer = json.loads(body or b"null")
        except (OSError, ValueError, urllib.error.HTTPError) as error:
            answer = {"error": type(error).__name__}
        with self.lock:
            self.counts["pending"] -= 1
            self.counts[outcome] += 1
            self.recent.append({**note, "outcome": outcome, "answer": answer})


def event(name, account, region, sub, pool_id=None):
    """The EventBridge event for a successful call `name` about the user `sub`."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    by_admin = pool_id is not None
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.cognito-idp",
        "account": account,
        "time": now,
        "region": region,
        "resources": [],
        "detail": {
            "eventVersion": "1.08",
            "userIdentity": {"type": "IAMUser", "accountId": account} if by_admin
            else {"type": "Unknown", "principalId": "Anonymous"},
            "eventTime": now,
            "eventSource": "cognito-idp.amazonaws.com",
            "eventName": name,
            "awsRegion": region,
            "sourceIPAddress": "127.0.0.1",
            "userAgent": "local-stack",
            "requestParameters": {"userPoolId": pool_id, "username": HIDDEN} if by_admin
            else {"accessToken": HIDDEN},
            "responseElements": None,
            "additionalEventData": {"sub": sub},
            "requestID": str(uuid.uuid4()),
            "eventID": str(uuid.uuid4()),
            "readOnly": False,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": account,
            "eventCategory": "Management",
        },
    }


def _sub(backend, pool_id, username):
    try:
        return backend.admin_get_user(pool_id, username).id
    except Exception:  # the call itself will fail and emit nothing
        return None


def _admin_call(name, original, emitter):
    def emitting(self, user_pool_id, username, *args, **kwargs):
        sub = _sub(self, user_pool_id, username)
        result = original(self, user_pool_id, username, *args, **kwargs)
        if sub:
            emitter.emit(event(name, self.account_id, self.region_name, sub, user_pool_id))
        return result

    return emitting


def _token_call(name, original, emitter):
    def emitting(self, access_token, *args, **kwargs):
        sub = None
        for pool in self.user_pools.values():
            if access_token in pool.access_tokens:
                sub = _sub(self, pool.id, pool.access_tokens[access_token][1])
        result = original(self, access_token, *args, **kwargs)
        if sub:
            emitter.emit(event(name, self.account_id, self.region_name, sub))
        return result

    return emitting


def install(emitter):
    from moto.cognitoidp.models import CognitoIdpBackend
    from moto.core.authorization import ActionAuthenticatorMixin

    # Public in Cognito (no IAM, sent unsigned by the SDKs: the model's auth is none): the access
    # token is the authorization. Moto's list misses it, so it answered MissingAuthenticationToken.
    public = "AWSCognitoIdentityProviderService.GlobalSignOut"
    if public not in ActionAuthenticatorMixin.PUBLIC_OPERATIONS:
        ActionAuthenticatorMixin.PUBLIC_OPERATIONS.append(public)

    for method, name in (("admin_disable_user", "AdminDisableUser"), ("admin_enable_user", "AdminEnableUser"),
                         ("admin_delete_user", "AdminDeleteUser"),
                         ("admin_user_global_sign_out", "AdminUserGlobalSignOut")):
        setattr(CognitoIdpBackend, method, _admin_call(name, getattr(CognitoIdpBackend, method), emitter))
    CognitoIdpBackend.global_sign_out = _token_call("GlobalSignOut", CognitoIdpBackend.global_sign_out, emitter)


def endpoints(emitter):
    """Control endpoints, {(method, path): handler(body) -> (status, value)}."""

    def stats(_raw):
        return 200, emitter.stats()

    def reset(_raw):
        emitter.reset()
        return 200, emitter.stats()

    def config(raw):
        try:
            body = json.loads(raw or b"{}")
            if not isinstance(body, dict):
                raise ValueError("body must be a JSON object")
            delay, lost, url = body.get("delay_ms"), body.get("lost"), body.get("function_url")
            if delay is not None and not (isinstance(delay, int) and 0 <= delay <= 600_000):
                raise ValueError('"delay_ms" must be an integer in 0..600000')
            if lost is not None and not isinstance(lost, bool):
                raise ValueError('"lost" must be true or false')
            if url is not None and not (isinstance(url, str) and url.startswith("http://")):
                raise ValueError('"function_url" must be an http:// URL')
        except ValueError as error:
            return 400, {"error": str(error)}
        emitter.configure(delay_ms=delay, lost=lost, function_url=url)
        return 200, emitter.stats()

    return {
        ("GET", "/moto-ext/user-events"): stats,
        ("POST", "/moto-ext/user-events/reset"): reset,
        ("POST", "/moto-ext/user-events/config"): config,
    }
