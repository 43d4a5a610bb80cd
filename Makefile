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
# `make nextjs`: the Next.js + Auth.js example's port. The stack registers its origin as the
# confidential app client's callback and sign-out URLs and in the bucket's CORS rule when it starts
# (`make local-up` / `make dev`), so set NEXTJS_PORT for those too.
NEXTJS_PORT ?= 3001
export WEB_SERVER_ORIGIN ?= http://localhost:$(NEXTJS_PORT)
NEXTJS_DIR := examples/nextjs

# `make token USER=alice`: USER is also the login name in the environment; only a value given on the
# command line (or in make's own environment override) selects the Cognito user. Default: admin.
ifeq ($(origin USER),command line)
TOKEN_USER := $(USER)
else
TOKEN_USER := admin
endif

.PHONY: help venv local-up local-down token creds canary login-canary infra-test dev web web-build nextjs test bench capacity fmt \
	lint lint-workflows bootstrap deploy outputs smoke destroy

# `make creds` and `make smoke` talk to a deployment (.deploy/outputs.json, written by `make deploy`)
# when there is one, else to the local stack; TARGET=local or TARGET=deploy chooses.
TARGET ?= auto

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

creds: ## print shell `export` lines for USER (default admin): ID_TOKEN, the identity's AWS keys, IDENTITY_ID, API_URL (a deployment's user: asks the password)
	@$(VENV)/bin/python infra/deploy/creds.py --target $(TARGET) $(TOKEN_USER)

canary: venv login-canary ## the local stack's own faithfulness suite (boto3; openid-client for managed login), against a running stack
	$(VENV)/bin/python -m pytest -q infra/local/moto_ext/tests infra/local/gateway/tests infra/local/managed_login/tests infra/local/canary

LOGIN_CANARY := infra/local/managed_login/canary
$(LOGIN_CANARY)/node_modules/.ready: $(LOGIN_CANARY)/package-lock.json
	cd $(LOGIN_CANARY) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

login-canary: $(LOGIN_CANARY)/node_modules/.ready ## managed login (OAuth 2.0 / OIDC) of a running stack, driven by openid-client, refusals included
	cd $(LOGIN_CANARY) && node --test --test-reporter=tap managed_login.test.mjs

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

$(NEXTJS_DIR)/node_modules/.ready: $(NEXTJS_DIR)/package-lock.json
	cd $(NEXTJS_DIR) && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(NEXTJS_DIR)/.next/BUILD_ID: $(NEXTJS_DIR)/node_modules/.ready $(NEXTJS_DIR)/next.config.ts $(shell find $(NEXTJS_DIR)/app $(NEXTJS_DIR)/lib -type f 2>/dev/null)
	cd $(NEXTJS_DIR) && NEXT_TELEMETRY_DISABLED=1 node_modules/.bin/next build

nextjs: local-up $(NEXTJS_DIR)/.next/BUILD_ID ## the Next.js + Auth.js example on http://localhost:3001 (NEXTJS_PORT), signing in through the stack's managed login (the function: `make dev` in another terminal)
	cd $(NEXTJS_DIR) && node scripts/env.mjs --local ../../.local/stack.env --origin http://localhost:$(NEXTJS_PORT)
	@echo "nextjs: sign in as admin or user (passwords: .local/fixtures.env); the function runs under \`make dev\` (another terminal)"
	cd $(NEXTJS_DIR) && NEXT_TELEMETRY_DISABLED=1 node_modules/.bin/next start --port $(NEXTJS_PORT) --hostname localhost

# ---------------------------------------------------------------- deploy (infra/README.md, "Deploy")
# The CDK CLI without notices, telemetry or version checks.
CDK_QUIET := CDK_DISABLE_CLI_TELEMETRY=true CDK_DISABLE_VERSION_CHECK=true

bootstrap: ## once per AWS account and Region, as an administrator: cdk bootstrap
	$(MAKE) --no-print-directory -C infra node_modules/.ready
	cd infra && $(CDK_QUIET) READ_FILE_LAMBDA_ASSET=placeholder node_modules/.bin/cdk bootstrap --no-notices

deploy: venv ## build the arm64 function and deploy (FRONTEND_ORIGIN=https://..., REMOVAL_POLICY, STACK_NAME, CONTEXT="name=value ..."); writes .deploy/outputs.json
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/python infra/deploy/deploy.py

outputs: venv ## write .deploy/outputs.json from an already deployed stack (STACK_NAME, default ReadFileStack)
	$(VENV)/bin/python infra/deploy/outputs.py --stack $(or $(STACK_NAME),ReadFileStack)

smoke: venv ## end-to-end check of the deployment in .deploy/outputs.json (or the local stack): throw-away users, every route, both locks, cleanup
	$(VENV)/bin/python infra/deploy/smoke.py --target $(TARGET) $(SMOKE_ARGS)

destroy: venv ## delete the deployed stack; prints how to remove what it retains
	$(VENV)/bin/python infra/deploy/destroy.py

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
