#!/usr/bin/env python3
"""Added latency of the local API gateway: the same signed request through the gateway vs the same
REST v1 event sent straight to the function's Lambda Invoke API (what the gateway does last).

Needs the local stack and the function running (`make dev`, or `make local-up` plus
`cargo lambda watch`); the function URL is the one the gateway uses. Run:
  .local/venv/bin/python benches/gateway_latency.py [-n 200]
Prints medians (p50), p90, the ratio and the difference. No timing is asserted anywhere.
"""

import argparse
import http.client
import json
import socket
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "infra" / "local"))

from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

import provision  # noqa: E402
import stack_client  # noqa: E402
from stack_client import FIXTURES_ENV, STACK_ENV, read_env  # noqa: E402
from gateway import api_source, event  # noqa: E402
from gateway.auth import Request  # noqa: E402
from gateway.principals import Principal  # noqa: E402


def timed(connection, method, path, body, headers):
    started = time.perf_counter()
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        sys.exit(f"{method} {path}: HTTP {response.status}")
    return elapsed, data


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=200)
    args = parser.parse_args()
    try:
        stack_client.settings()
    except stack_client.NotRunning as error:
        sys.exit(str(error))
    stack_env, fixtures = read_env(STACK_ENV), read_env(FIXTURES_ENV)
    function_url = stack_client.control("GET", "/moto-ext/gateway")[1]["function_url"]
    creds = provision.user_credentials(stack_env, fixtures, "admin")

    # Through the gateway: signed once by botocore (a signature stays valid 5 minutes).
    url = f"{stack_env['API_URL']}/read-file"
    signed = AWSRequest(method="GET", url=url, headers={"idToken": creds["ID_TOKEN"]})
    SigV4Auth(Credentials(creds["AWS_ACCESS_KEY_ID"], creds["AWS_SECRET_ACCESS_KEY"], creds["AWS_SESSION_TOKEN"]),
              "execute-api", stack_env["AWS_REGION"]).add_auth(signed)
    gateway_headers = dict(signed.headers.items())
    gateway_parts = urlsplit(url)

    # Direct: the event the gateway would build for that request, to the same Invoke API.
    api = api_source.load()
    request = Request("GET", gateway_parts.path, "", [("Host", gateway_parts.netloc), *gateway_headers.items()])
    principal = Principal(
        arn="arn:aws:sts::000000000000:assumed-role/r/CognitoIdentityCredentials", account_id=stack_env["ACCOUNT_ID"],
        access_key=creds["AWS_ACCESS_KEY_ID"], secret_key="", user_id="AROA:CognitoIdentityCredentials", documents=[],
        context={"cognito-identity.amazonaws.com:sub": [creds["IDENTITY_ID"]],
                 "cognito-identity.amazonaws.com:aud": [stack_env["IDENTITY_POOL_ID"]]})
    direct_body = json.dumps(event.build(request, api=api, route=api.routes[0], api_id=stack_env["API_ID"],
                                         account_id=stack_env["ACCOUNT_ID"], principal=principal,
                                         source_ip="127.0.0.1", request_id=str(uuid.uuid4())))
    direct_parts = urlsplit(function_url)
    direct_path = "/2015-03-31/functions/read-file/invocations"

    gateway = http.client.HTTPConnection(gateway_parts.hostname, gateway_parts.port)
    direct = http.client.HTTPConnection(direct_parts.hostname, direct_parts.port)
    for connection in (gateway, direct):  # headers and body in two writes: no Nagle delay
        connection.connect()
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    samples = {"gateway": [], "direct": []}
    interval = 1.1 / api.rate_limit  # stay under the stage's throttle (api.json), or it answers 429
    stack_client.control("POST", "/moto-ext/gateway/reset")  # a full throttle bucket
    for i in range(args.n + 20):  # 20 warm-up rounds, interleaved so drift hits both alike
        # The same pause before each request, so that neither finds the function and the stack
        # warmer than the other (the second of a back-to-back pair is faster); the order alternates.
        time.sleep(interval)
        if i % 2:
            d, direct_answer = timed(direct, "POST", direct_path, direct_body, {"Content-Type": "application/json"})
            time.sleep(interval)
            g, body = timed(gateway, "GET", gateway_parts.path, None, gateway_headers)
        else:
            g, body = timed(gateway, "GET", gateway_parts.path, None, gateway_headers)
            time.sleep(interval)
            d, direct_answer = timed(direct, "POST", direct_path, direct_body, {"Content-Type": "application/json"})
        if i == 0 and (json.loads(body).get("data") != "admin" or json.loads(json.loads(direct_answer)["body"]).get("data") != "admin"):
            sys.exit("unexpected answer: is the function running against this stack?")
        if i >= 20:
            samples["gateway"].append(g)
            samples["direct"].append(d)

    def pct(values, q):
        return statistics.quantiles(values, n=100)[q - 1]

    print(f"n={args.n} each, interleaved (order alternating), keep-alive connections, {interval * 1000:.0f} ms "
          f"pause before every request (under the stage throttle); "
          f"function at {function_url}")
    for name, values in samples.items():
        print(f"  {name:8} p50 {statistics.median(values):7.2f} ms   p90 {pct(values, 90):7.2f} ms")
    g50, d50 = statistics.median(samples["gateway"]), statistics.median(samples["direct"])
    print(f"  added by the gateway (p50): {g50 - d50:.2f} ms; ratio gateway/direct {g50 / d50:.2f}")


if __name__ == "__main__":
    main()
