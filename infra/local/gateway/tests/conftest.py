import sys
from pathlib import Path

# infra/local on the path: `gateway` and `moto_ext` import as the server imports them.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
