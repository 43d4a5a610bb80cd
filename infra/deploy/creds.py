"""`make creds USER=name`: shell `export` lines for a user, as a signed-in frontend holds them:
ID_TOKEN, the identity's own AWS keys (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN),
IDENTITY_ID and API_URL. Use it as `eval "$(make -s creds USER=name)"`.

  creds.py USER [--target auto|deploy|local]

On the local stack this is `infra/local/stack.py creds USER` (the provisioned users admin and user).
On a deployment (.deploy/outputs.json) the user signs in with their password, read from the
terminal (or CREDS_PASSWORD), through AdminInitiateAuth with your own AWS credentials; GetId and
GetCredentialsForIdentity are then sent unsigned, as the SDKs send them.
"""

import argparse
import getpass
import os
import shlex
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import settings as targets  # noqa: E402


def deployment_credentials(target, user, password):
    token = target.sign_in(user, password)
    identity_id, keys = target.exchange(token)
    return {
        "ID_TOKEN": token,
        "AWS_ACCESS_KEY_ID": keys["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": keys["SecretKey"],
        "AWS_SESSION_TOKEN": keys["SessionToken"],
        "IDENTITY_ID": identity_id,
        "API_URL": target.api_url,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("user")
    parser.add_argument("--target", choices=("auto", "deploy", "local"), default=os.environ.get("TARGET") or "auto")
    args = parser.parse_args(argv)
    try:
        target = targets.load(args.target)
    except targets.SettingsError as error:
        print(f"creds: {error}", file=sys.stderr)
        return 1
    if target.kind == "local":
        return subprocess.run([sys.executable, str(targets.ROOT / "infra" / "local" / "stack.py"), "creds", args.user]).returncode

    password = os.environ.get("CREDS_PASSWORD") or getpass.getpass(f"{args.user}'s password: ", stream=sys.stderr)
    try:
        values = deployment_credentials(target, args.user, password)
    except targets.SettingsError as error:  # a challenge (MFA, new password): our own message
        print(f"creds: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # the error code or type only: a message could echo what was sent
        code = getattr(error, "response", {}).get("Error", {}).get("Code") or type(error).__name__
        print(f"creds: cannot sign {args.user} in on stack {target.settings.get('STACK_NAME', '?')}: {code}", file=sys.stderr)
        return 1
    for name, value in values.items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
