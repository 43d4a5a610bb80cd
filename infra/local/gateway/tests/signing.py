"""Requests signed by botocore (a signer we did not write), turned into the gateway's Request."""

import datetime
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from gateway.auth import Request

ACCESS_KEY, SECRET_KEY, SESSION_TOKEN = "ASIATESTTESTTESTTEST", "secret/key+value", "session-token-value"
REGION = "us-east-1"


def signed(method="GET", url="http://127.0.0.1:5056/v1/read-file", headers=(), body=b"", *,
           region=REGION, service="execute-api", token=SESSION_TOKEN, secret=SECRET_KEY, query_auth=False,
           expires=300, access_key=ACCESS_KEY):
    request = AWSRequest(method=method, url=url, data=body)
    for name, value in headers:
        request.headers[name] = value  # HTTPHeaders: a repeated name is appended, not replaced
    credentials = Credentials(access_key, secret, token)
    if query_auth:
        SigV4QueryAuth(credentials, service, region, expires=expires).add_auth(request)
    else:
        SigV4Auth(credentials, service, region).add_auth(request)
    parts = urlsplit(request.url)
    sent = [("Host", parts.netloc)] + [(k, v) for k, v in request.headers.items()]
    return Request(method, parts.path, parts.query, sent, body)


def now():
    return datetime.datetime.now(datetime.timezone.utc)
