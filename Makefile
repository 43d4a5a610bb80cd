# The front door. Users, CI and acceptance checks call these targets; keep names and meaning stable.
SHELL := bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .local/venv
LINT_VENV ?= .local/lint-venv
LOCAL_STACK_PORT ?= 5055
export LOCAL_STACK_PORT
# `make dev`'s cargo lambda watch port; the stack's API gateway invokes the function there.
DEV_PORT ?= 9000
LOCAL_FUNCTION_URL ?= http://127.0.0.1:$(DEV_PORT)
export LOCAL_FUNCTION_URL
# `make web`: the page's port. http://localhost:3000 is the origin the stack's CORS rules allow
# (infra/api/api.json, the CDK app's default frontendOrigin); another port serves a page that the
# browser's CORS checks refuse.
WEB_PORT ?= 3000
WEB_DIR := examples/web

# `make token USER=alice`: USER is also the login name in the environment; only a value given on the
# command line (or in make's own environment override) selects the Cognito user. Default: admin.
ifeq ($(origin USER),command line)
TOKEN_USER := $(USER)
else
TOKEN_USER := admin
endif

.PHONY: help venv local-up local-down token creds canary infra-test dev web web-build test bench capacity fmt lint lint-workflows

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s "$$(printf '\t')"

venv: $(VENV)/.ready ## Python venv: pinned moto, boto3, pytest, cargo-lambda

$(VENV)/.ready: infra/local/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/local/requirements.txt
	touch $@

local-up: venv ## start the local AWS stack + API gateway and provision it (settings in .local/stack.env)
	$(VENV)/bin/python infra/local/stack.py up

local-down: ## stop the local AWS stack
	$(PYTHON) infra/local/stack.py down

token: ## print a fresh ID token for USER (default admin), nothing else
	@$(VENV)/bin/python infra/local/stack.py token $(TOKEN_USER)

creds: ## print shell `export` lines for USER (default admin): ID_TOKEN, the identity's AWS keys, IDENTITY_ID, API_URL
	@$(VENV)/bin/python infra/local/stack.py creds $(TOKEN_USER)

canary: venv ## the local stack's own faithfulness suite (boto3), against a running stack
	$(VENV)/bin/python -m pytest -q infra/local/moto_ext/tests infra/local/gateway/tests infra/local/canary

infra-test: ## CDK app: synth offline, template assertions, cdk-nag, cfn-lint
	$(MAKE) -C infra test

dev: local-up ## run the Lambda with cargo lambda watch (DEV_PORT, default 9000) behind the local stack's API gateway; WEB=1 also serves the web page
	@if [ "$(WEB)" = 1 ]; then $(MAKE) --no-print-directory web-build; fi
	@if [ "$(WEB)" = 1 ]; then \
	  WEB_PORT=$(WEB_PORT) node $(WEB_DIR)/scripts/serve.mjs & web=$$!; trap 'kill $$web 2>/dev/null' EXIT; \
	fi; \
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" cargo lambda watch --invoke-address 127.0.0.1 --invoke-port $(DEV_PORT) --env-file .local/stack.env

$(WEB_DIR)/node_modules/.ready: $(WEB_DIR)/package-lock.json
	cd $(WEB_DIR) && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	touch $@

web-build: $(WEB_DIR)/node_modules/.ready ## build the web page (examples/web/dist) and its config for the running local stack
	cd $(WEB_DIR) && node scripts/build.mjs && node scripts/config.mjs --local ../../.local/stack.env

web: local-up ## the web page on http://localhost:3000 (WEB_PORT) against the local stack and its API gateway (the function: `make dev` in another terminal)
	@$(MAKE) --no-print-directory web-build
	@echo "web: sign in as admin or user (passwords: .local/fixtures.env); the function runs under \`make dev\` (another terminal)"
	WEB_PORT=$(WEB_PORT) node $(WEB_DIR)/scripts/serve.mjs

test: venv ## every test: Rust unit + integration + e2e, local stack canary, gateway, browser, infra
	bash tests/all.sh

bench: venv ## benchmark against the local stack; writes target/bench/summary.json
	bash tests/bench.sh

capacity: venv ## Cognito quota model on the real code (+ a check against the local stack); writes target/capacity/summary.json
	bash tests/capacity.sh

fmt: ## format the Rust code
	cargo fmt

lint: lint-workflows ## zizmor on the workflows, fmt check and clippy with warnings denied
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings

# zizmor exits 0 only with no finding (10-14 = findings by highest severity, 1 = error), so any
# finding fails `make lint`. --offline: no GitHub API, no token, works with only PyPI reachable.
lint-workflows: $(LINT_VENV)/.ready ## zizmor (offline): GitHub Actions security audit of the repo
	$(LINT_VENV)/bin/zizmor --offline .

# A venv of its own, so that linting does not install the local AWS stack's packages.
$(LINT_VENV)/.ready: .ci/lint-requirements.txt
	$(PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/pip install --quiet --disable-pip-version-check -r .ci/lint-requirements.txt
	touch $@

.PHONY: fuzz
FUZZ_RUNS ?= 10000000
fuzz: ## fuzz idToken extraction + verification (cargo-fuzz, nightly; FUZZ_RUNS=10000000 executions)
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	@# libFuzzer needs nightly; without a nightly toolchain RUSTC_BOOTSTRAP=1 lets stable build it.
	@# No ASan (--sanitizer none): the code under test is safe Rust, and it runs about twice as fast.
	mkdir -p fuzz/corpus/id_token
	cd fuzz && if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then tc=+nightly; else tc=; export RUSTC_BOOTSTRAP=1; fi; \
	  cargo $$tc fuzz run --sanitizer none id_token corpus/id_token seeds/id_token -- \
	    -runs=$(FUZZ_RUNS) -max_len=20000 -print_final_stats=1
