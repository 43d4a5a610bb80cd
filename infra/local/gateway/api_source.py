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
# "/a/b", with path parameters "{name}" (one segment) and a greedy last "{name+}" (the rest).
_PATH = re.compile(r"(/([A-Za-z0-9._-]+|\{[A-Za-z0-9_]+\}))*(/\{[A-Za-z0-9_]+\+\})?")


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # the resource path, e.g. /files/{name+}
    authorization: str
    integration: str

    def match(self, path):
        """The path parameters when the (decoded) request path fits this resource, else None."""
        want, got = self.path.split("/")[1:], path.split("/")[1:]
        params = {}
        for i, part in enumerate(want):
            if part.startswith("{") and part.endswith("+}"):
                rest = "/".join(got[i:])
                if not rest:
                    return None
                params[part[1:-2]] = rest
                return params
            if i >= len(got) or not got[i]:
                return None
            if part.startswith("{"):
                params[part[1:-1]] = got[i]
            elif part != got[i]:
                return None
        return params if len(got) == len(want) else None


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
        """(route, path parameters) for a request, else (None, None). A literal segment wins over a
        parameter, as API Gateway prefers the most specific resource."""
        matches = [(r, p) for r in self.routes if r.method == method and (p := r.match(path)) is not None]
        if not matches:
            return None, None
        return min(matches, key=lambda m: (m[0].path.count("{"), -len(m[0].path)))

    def has_path(self, path):
        return any(r.match(path) is not None for r in self.routes)


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
        if r.get("method") not in _METHODS or not r.get("path", "").startswith("/") or not _PATH.fullmatch(r["path"]):
            fail(f"route {r}: method and path like /a/b, /a/{{id}} or /a/{{rest+}}")
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
