import sys
from pathlib import Path

# infra/local on the path: `moto_ext` and `gateway` import as the server imports them.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
