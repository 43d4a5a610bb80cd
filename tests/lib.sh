# Sourced first by every tests/*.sh: strict mode, the repository root as the working directory,
# the local stack's venv (cargo-lambda, pytest, awscurl) first on PATH, and `step` for headings.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PWD/.local/venv/bin:$PATH"
step() { printf '\n==> %s\n' "$*"; }
