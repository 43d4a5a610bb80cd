"""The one API source, infra/api/api.json, as the local gateway reads it (standard library only).

The CDK app reads the same file (infra/lib/api.ts); infra/test/api.test.ts runs
`python3 api_source.py --dump` and compares both readings.
"""

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

API_FILE = Path(__file__).resolve().parents[2] / "api" / "api.json"
LOCAL_API_ID = "localapi01"  # the local REST API's id (AWS's are 10 lowercase letters and digits)
LOCAL_REGION = "us-east-1"
_METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    authorization: str
    integration: str


@dataclass(frozen=True)
class Api:
    stage: str
    rate_limit: float
    burst_limit: int
    cors: dict
    binary_media_types: tuple
    routes: tuple
    raw: dict

    def route(self, method, path):
        """(route, pathParameters or None) for a decoded request path, else None. A greedy last
        segment (`/files/{name+}`) matches one or more segments; an exact path wins over it."""
        for exact in (True, False):
            for r in self.routes:
                if r.method != method:
                    continue
                params = match_path(r.path, path)
                if params is not None and (params == {}) == exact:
                    return r, params or None
        return None

    def has_path(self, path):
        return any(match_path(r.path, path) is not None for r in self.routes)


_GREEDY = re.compile(r"/\{([A-Za-z0-9_]+)\+\}$")


def match_path(template, path):
    """{} for an exact match, {name: rest} for a greedy `{name+}` template, else None."""
    greedy = _GREEDY.search(template)
    if not greedy:
        return {} if template == path else None
    base = template[: greedy.start()]
    if path.startswith(base + "/") and len(path) > len(base) + 1:
        return {greedy.group(1): path[len(base) + 1:]}
    return None


def policy_path(template):
    """The execute-api resource path an IAM grant names for a route: `{name+}` becomes `*`."""
    return _GREEDY.sub("/*", template)


def load(path=API_FILE):
    raw = json.loads(Path(path).read_text())

    def fail(what):
        raise ValueError(f"{path}: {what}")

    if not isinstance(raw.get("stageName"), str) or not re.fullmatch(r"[A-Za-z0-9_]{1,128}", raw["stageName"]):
        fail("stageName: letters, digits and _ only")
    throttle = raw.get("throttle") or {}
    if not (isinstance(throttle.get("rateLimit"), (int, float)) and throttle["rateLimit"] > 0
            and isinstance(throttle.get("burstLimit"), int) and throttle["burstLimit"] > 0):
        fail("throttle.rateLimit and throttle.burstLimit must be positive")
    cors = raw.get("cors") or {}
    if not isinstance(cors.get("allowOrigins"), list) or len(cors["allowOrigins"]) != 1:
        fail("cors.allowOrigins: exactly one origin")
    routes = []
    for r in raw.get("routes") or fail("routes: at least one"):
        if r.get("method") not in _METHODS or not re.fullmatch(r"(/[A-Za-z0-9._-]+)+(/\{[A-Za-z0-9_]+\+\})?", r.get("path", "")):
            fail(f"route {r}: method and path like /a/b or /a/{{name+}}")
        if r.get("authorization") != "AWS_IAM" or r.get("integration") != "lambda-proxy":
            fail(f"route {r['method']} {r['path']}: only AWS_IAM lambda-proxy routes are served")
        routes.append(Route(r["method"], r["path"], r["authorization"], r["integration"]))
    if len({(r.method, r.path) for r in routes}) != len(routes):
        fail("a route is listed twice")
    return Api(
        stage=raw["stageName"], rate_limit=throttle["rateLimit"], burst_limit=throttle["burstLimit"],
        cors=cors, binary_media_types=tuple(raw.get("binaryMediaTypes") or ()), routes=tuple(routes), raw=raw,
    )


def dump(api, path):
    """The values the gateway uses, in api.json's own names (for the cross-check test)."""
    return {
        "stageName": api.stage,
        "throttle": {"rateLimit": api.rate_limit, "burstLimit": api.burst_limit},
        "cors": api.cors,
        "binaryMediaTypes": list(api.binary_media_types),
        "routes": [{"method": r.method, "path": r.path, "authorization": r.authorization,
                    "integration": r.integration} for r in api.routes],
        "file": str(path),
    }


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or sys.argv[1] != "--dump":
        sys.exit("usage: api_source.py --dump [API_FILE]")
    file = Path(sys.argv[2]) if len(sys.argv) == 3 else API_FILE
    print(json.dumps(dump(load(file), file)))
