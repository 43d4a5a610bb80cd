# Sourced by all.sh and bench.sh: a local AWS stack for this run. Started here, it stops however the
# run ends (the server also watches this shell's pid, so even a SIGKILL leaves no orphan); a stack
# that was already running (`make local-up`) is used as it is and left running.
if python3 infra/local/stack.py status >/dev/null 2>&1; then
  echo "using the local stack that is already running (make local-down stops it)"
else
  trap 'python3 infra/local/stack.py down' EXIT
  trap 'exit 130' INT TERM
  .local/venv/bin/python infra/local/stack.py up --owner-pid $$
fi
