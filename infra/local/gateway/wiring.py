"""The gateway wired into the stack's server process: built with the stack's STS/IAM, and its
test-only control endpoints (served on the stack's port under /moto-ext/, like the others):

  GET  /moto-ext/gateway                 {"requests": n, "invocations": n, "function_url": ..., "timeout": s}
  POST /moto-ext/gateway/reset           zero the counters, refill the throttle bucket
  POST /moto-ext/gateway/config          {"function_url": "http://127.0.0.1:9000", "timeout": 29}
  POST /moto-ext/credentials/expire      {"AccessKeyId": "ASIA..."}: that STS key is expired from now on
"""

import json

from moto.core import DEFAULT_ACCOUNT_ID

from moto_ext import iam_eval

from . import api_source, principals
from .app import Gateway

REGION = api_source.LOCAL_REGION
API_ID = api_source.LOCAL_API_ID


def build(function_url, api_file=api_source.API_FILE):
    return Gateway(
        api_source.load(api_file), region=REGION, api_id=API_ID, account_id=DEFAULT_ACCOUNT_ID,
        function_url=function_url, resolve=principals.resolve, evaluate=iam_eval.evaluate,
    )


def _body(raw):
    value = json.loads(raw or b"{}")
    if not isinstance(value, dict):
        raise ValueError("body must be a JSON object")
    return value


def endpoints(gateway):
    def stats(_raw):
        return 200, gateway.stats()

    def reset(_raw):
        gateway.reset()
        return 200, gateway.stats()

    def config(raw):
        try:
            body = _body(raw)
            url, timeout = body.get("function_url"), body.get("timeout")
            if url is not None and not (isinstance(url, str) and url.startswith("http://")):
                raise ValueError('"function_url" must be an http:// URL')
            if timeout is not None and not (isinstance(timeout, (int, float)) and 0 < timeout <= 29):
                raise ValueError('"timeout" must be a number of seconds in (0, 29]')
        except ValueError as error:
            return 400, {"error": str(error)}
        gateway.configure(function_url=url, timeout=timeout)
        return 200, gateway.stats()

    def expire(raw):
        try:
            key = _body(raw).get("AccessKeyId")
        except ValueError as error:
            return 400, {"error": str(error)}
        if not isinstance(key, str) or not principals.expire(key):
            return 404, {"error": "no such STS access key"}
        return 200, {"expired": key}

    return {
        ("GET", "/moto-ext/gateway"): stats,
        ("POST", "/moto-ext/gateway/reset"): reset,
        ("POST", "/moto-ext/gateway/config"): config,
        ("POST", "/moto-ext/credentials/expire"): expire,
    }


def serve(gateway, host, port):
    from .app import serve as make

    return make(gateway, host, port)
