"""The deploy tools' own tests: no AWS account, no network, no local stack needed."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
