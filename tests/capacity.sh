#!/usr/bin/env bash
# `make capacity`: the Cognito quota model (benches/capacity). Drives real `App`s, whose upstreams
# are the SDK's test HTTP client, with a Zipf workload in compressed time, for (1k users, 100 req/s,
# 5 environments), (10k, 1k, 20), (100k, 10k, 100): per environment (one and N invocations per
# environment) and with the shared session tier (its DynamoDB table modelled in memory; polled, and
# with pushed revocation). Prints calls/s per Cognito API against its quota and the table's reads,
# writes and monthly on-demand cost. First, a small run of the same model against the local stack,
# whose call counter must agree (the stack is started for it and stopped after).
#
# Knobs: CAPACITY_HOURS (default 1), CAPACITY_N (default 10), CAPACITY_BUDGET (real requests/s,
# default 1500), CAPACITY_ONLY (scenario labels, comma-separated, e.g.
# 10k/1000/20/N=1,10k/1000/20/shared-pushed), CAPACITY_SEED (the workload's seed, default 13),
# CAPACITY_USER_CHECK_TTL (the modelled USER_CHECK_TTL_SECONDS of the per-environment setting,
# simulated seconds, a multiple of 60 up to 3600, default 60).
source "$(dirname "$0")/lib.sh"

step "build (bench profile; shared with make bench)"
cargo bench --locked --bench capacity --no-run

step "validation: the model and the local stack, same workload, same call counts"
source tests/stack-for-run.sh
CAPACITY_VALIDATE=1 cargo bench --locked --bench capacity

step "capacity model"
cargo bench --locked --bench capacity
