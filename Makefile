# Member portal: `make run` serves it, `make test` tests it. Both install what is missing first.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

CARGO_LEPTOS_VERSION := 0.3.8
CARGO_DENY_VERSION := 0.20.2
# Must equal the wasm-bindgen crate pinned in Cargo.toml.
WASM_BINDGEN_VERSION := 0.2.130

# wasm-opt comes from the npm package binaryen (Debian's is too old and breaks hydration).
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
# Compiled into leptos (option_env!): set it for plain cargo too, so that `cargo test` reuses the
# artifacts of `cargo leptos build` instead of rebuilding leptos.
export LEPTOS_OUTPUT_NAME := portal
# What cargo-leptos passes to debug builds; the Rust tests use the same flags to share them.
DEBUG_RUSTFLAGS := --cfg erase_components

# The wasm a page loads first must stay small for phones: at most this many bytes as served
# gzipped (190 KB), checked on the pages a member meets first (`bench site-check`).
WASM_GZIP_BUDGET := 190000

# The Python virtualenv of `make fuzz-api` (Schemathesis).
FUZZ_VENV := target/fuzz-venv
# The Python virtualenv of the SMTP server the tests send mail to (aiosmtpd).
MAIL_VENV := target/mail-venv
# The Rust tests and Playwright start mail-server/smtp_sink.py with this interpreter.
export PORTAL_TEST_SMTP_PYTHON := $(CURDIR)/$(MAIL_VENV)/bin/python

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
NPM_STAMP := end2end/node_modules/.package-lock.json

.PHONY: run demo screenshots docs-check test prerequisites deploy-tools tools deny browser postgres haproxy mail-server build-debug build-release test-rust test-rust-sqlite test-rust-postgres test-cluster lint-openapi test-e2e bundle-check bench lighthouse crash-test fuzz-api lint fmt fmt-check clean

## run: build the release site and serve it on $LEPTOS_SITE_ADDR (default http://127.0.0.1:3000)
run: prerequisites tools build-release
	./target/release/server

## demo: the release server on a new database in target/demo/ (made anew each time) with 36
## sample members (`server demo`, which refuses any database that has a member); prints the
## address and password to sign in with
DEMO_DIR := target/demo
demo: prerequisites tools build-release
	rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	DATABASE_URL=sqlite://$(DEMO_DIR)/portal.db ./target/release/server demo
	DATABASE_URL=sqlite://$(DEMO_DIR)/portal.db MAIL_OUTBOX=$(DEMO_DIR)/mail-outbox ./target/release/server

## screenshots: the pictures in docs/screenshots/ (README and docs), taken by Playwright from the
## release server filled by `server demo` (end2end/scripts/screenshots.mjs), then shrunk to
## 256-colour PNGs (Pillow, in target/shots-venv)
SHOTS_VENV := target/shots-venv
screenshots: tools browser build-release $(SHOTS_VENV)/.installed
	node end2end/scripts/screenshots.mjs
	$(SHOTS_VENV)/bin/python end2end/scripts/shrink.py docs/screenshots/*.png

$(SHOTS_VENV)/.installed: end2end/scripts/shrink-requirements.txt
	$(call python_venv,$(SHOTS_VENV),end2end/scripts/shrink-requirements.txt)

## docs-check: every relative link and picture in README.md and docs/ resolves (files and
## headings), and the README stays within 250 lines
docs-check:
	python3 end2end/scripts/check_links.py

## test: every test: Rust unit and HTTP tests on SQLite and on PostgreSQL, then Playwright (with and
## without JavaScript)
test: prerequisites tools browser postgres haproxy deploy-tools mail-server fmt-check docs-check deny build-debug test-rust lint-openapi \
	test-e2e test-cluster bundle-check

## prerequisites: what `make run` and `make test` cannot install themselves (README, "Two
## commands"): one line naming what is missing, instead of a deep error later
prerequisites:
	@command -v rustup >/dev/null && command -v cargo >/dev/null \
		|| { echo "make: rustup is missing: install Rust 1.94 or newer from https://rustup.rs, then run make again" >&2; exit 1; }
	@v=$$(rustc --version | cut -d' ' -f2); [ "$$(printf '%s\n' 1.94.0 "$$v" | sort -V | head -1)" = 1.94.0 ] \
		|| { echo "make: Rust $$v is too old: 1.94 or newer is needed (sqlx 0.9); run rustup update" >&2; exit 1; }
	@command -v npm >/dev/null && command -v node >/dev/null \
		|| { echo "make: Node.js with npm is missing: install Node 18 or newer (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	@node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' \
		|| { echo "make: Node.js $$(node --version) is too old: 18 or newer is needed" >&2; exit 1; }
	@command -v python3 >/dev/null \
		|| { echo "make: python3 is missing: install Python 3.9 or newer (Debian: apt-get install python3)" >&2; exit 1; }
	@[ "$(MAKECMDGOALS)" != test ] || command -v apt-get >/dev/null \
		|| { echo "make: apt-get is missing: make test installs Chromium, PostgreSQL and HAProxy from Debian's packages" >&2; exit 1; }

## deploy-tools: systemd-analyze and openssl, for the tests of the deployment recipe (deploy/)
deploy-tools:
	@command -v systemd-analyze >/dev/null && command -v openssl >/dev/null \
		|| { $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y systemd openssl; }

## tools: install, only when missing, what the build needs (idempotent)
tools: $(NPM_STAMP)
	@rustup target list --installed | grep -qx wasm32-unknown-unknown \
		|| rustup target add wasm32-unknown-unknown
	@cargo leptos --version 2>/dev/null | grep -q " $(CARGO_LEPTOS_VERSION)$$" \
		|| cargo install cargo-leptos@$(CARGO_LEPTOS_VERSION) --locked --features no_downloads
	@wasm-bindgen --version 2>/dev/null | grep -q " $(WASM_BINDGEN_VERSION)$$" \
		|| cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)

## deny: `cargo deny check` with deny.toml: RustSec advisories, licences, bans (duplicates are
## reported, wildcards refused) and sources. The RustSec database is fetched from github.com;
## where that is out of reach the copy fetched last is used, its date printed; with no copy at
## all the advisories are left out and a line says so (the other three are still checked)
deny:
	@cargo deny --version 2>/dev/null | grep -q " $(CARGO_DENY_VERSION)$$" \
		|| cargo install cargo-deny@$(CARGO_DENY_VERSION) --locked
	@# Every crate of the lock file, for every platform, from crates.io: `--offline` below reads them.
	@cargo fetch --locked --quiet
	@db=$$(ls -d $${CARGO_HOME:-$$HOME/.cargo}/advisory-dbs/advisory-db-*/.git 2>/dev/null | head -1 || true); \
	if cargo deny fetch db >/dev/null 2>&1; then \
		cargo deny check --hide-inclusion-graph; \
	elif [ -n "$$db" ]; then \
		echo "deny: github.com is out of reach: advisories from the RustSec database as of $$(git --git-dir="$$db" log -1 --format=%cs)"; \
		cargo deny --offline check --hide-inclusion-graph; \
	else \
		echo "deny: github.com is out of reach and no RustSec database was ever fetched here: advisories NOT checked" >&2; \
		cargo deny --offline check --hide-inclusion-graph bans licenses sources; \
	fi

$(NPM_STAMP): end2end/package.json end2end/package-lock.json
	cd end2end && npm ci --no-audit --no-fund
	touch $@

## mail-server: the SMTP server the tests send to (aiosmtpd from PyPI, in target/mail-venv)
mail-server: $(MAIL_VENV)/.installed

$(MAIL_VENV)/.installed: mail-server/requirements.txt
	$(call python_venv,$(MAIL_VENV),mail-server/requirements.txt)

## browser: Debian's Chromium for the end-to-end tests
browser:
	@command -v chromium >/dev/null \
		|| { $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y chromium; }

# --split: each island is lazy (`#[island(lazy)]`), its code in chunks of its own that the page
# loads once the main wasm is there; the debug build is split too, so the tests run what ships.
build-debug:
	cargo leptos build --split

# --precompress: a .br and a .gz copy of every file of the site, served to browsers that accept them.
# cargo-leptos' gzip copies are made at a fast level (the wasm: 256,792 bytes where gzip -9 makes
# 221,597), so they are made again with gzip -9 for the clients that take gzip but not brotli.
build-release:
	cargo leptos build --release --precompress --split
	$(call regzip,target/site)

# Makes every precompressed .gz under $(1) again from its file with gzip -9 (-n: no name or time
# in it, so the same file gives the same bytes).
define regzip
	@find $(1) -name '*.gz' | while read -r gz; do [ -f "$${gz%.gz}" ] || continue; gzip -9 -n -c "$${gz%.gz}" > "$$gz.tmp" && mv "$$gz.tmp" "$$gz" || exit 1; done
endef

RUST_TESTS := cargo test --no-fail-fast -p app -p server -p bench --features app/ssr

## test-rust: the Rust suite on SQLite, then the same binaries on a throwaway PostgreSQL cluster
test-rust: mail-server test-rust-sqlite test-rust-postgres

# Tests run in parallel: each builds its own router while others render, which once left a render
# now and then unfinished (Leptos' route listing, see `PAGE_ROUTES` in server/src/routes.rs).
test-rust-sqlite:
	RUSTFLAGS="$(DEBUG_RUSTFLAGS)" $(RUST_TESTS)

# pg_virtualenv (postgresql-common) makes a cluster as the postgres user on a free port, runs the
# command with PGHOST/PGPORT/PGUSER/PGPASSWORD set, and drops the cluster after; each test makes
# its own database on it (app/src/server/store/scratch.rs). It starts from a directory the
# postgres user can read.
test-rust-postgres: postgres
	cd /tmp && pg_virtualenv sh -c 'cd "$(CURDIR)" && \
		PORTAL_TEST_POSTGRES="postgres://$$PGUSER:$$PGPASSWORD@$$PGHOST:$$PGPORT/$$PGDATABASE" \
		RUSTFLAGS="$(DEBUG_RUSTFLAGS)" $(RUST_TESTS)'

## test-cluster: two instances of the debug server on a throwaway PostgreSQL cluster behind
## HAProxy (deploy/haproxy.cfg): sessions, throttles, concurrent and stale writes and a SIGKILL of
## one instance checked through the balancer, then Playwright's chromium project through it
test-cluster: postgres haproxy
	RUSTFLAGS="$(DEBUG_RUSTFLAGS)" cargo build -p bench
	cd /tmp && pg_virtualenv sh -c 'cd "$(CURDIR)" && \
		PORTAL_TEST_POSTGRES="postgres://$$PGUSER:$$PGPASSWORD@$$PGHOST:$$PGPORT/$$PGDATABASE" \
		CI=$${CI:-} PORTAL_SERVER=target/debug/server ./target/debug/bench cluster-test'

## haproxy: Debian's HAProxy, for the two-instance test
haproxy:
	@command -v haproxy >/dev/null \
		|| { $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y haproxy; }

## postgres: Debian's PostgreSQL server and pg_virtualenv, for the tests on PostgreSQL
postgres:
	@command -v pg_virtualenv >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
		|| { $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y postgresql; }

## lint-openapi: Redocly's recommended rules (@redocly/cli, pinned in end2end/) on the OpenAPI
## document, as the debug server prints it; end2end/.redocly.lint-ignore.yaml says what is waived
lint-openapi:
	./target/debug/server openapi > target/openapi.json
	cd end2end && REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true npx redocly lint ../target/openapi.json

# Each run gets free ports, a throwaway database and mail folder; Playwright starts and stops the
# server and the SMTP server it sends to.
test-e2e: mail-server
	free_port='import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; \
	port=$$(python3 -c "$$free_port"); smtp_port=$$(python3 -c "$$free_port"); \
	dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; \
	cd end2end && CI=$${CI:-} PORTAL_E2E_PORT=$$port PORTAL_E2E_DATABASE="$$dir/e2e.db" \
		PORTAL_E2E_SMTP_PORT=$$smtp_port PORTAL_E2E_MAIL_DIR="$$dir/mail" \
		PORTAL_E2E_SERVER=target/debug/server npx playwright test

## bundle-check: build the whole release (server and wasm, as `make run` does; the site goes to
## its own folder, so the debug site used by the end-to-end tests stays intact), fail if the
## release server does not serve the files its pages link to, or a page's first wasm is over the
## gzip budget
bundle-check:
	LEPTOS_SITE_ROOT=target/site-release cargo leptos build --release --precompress --split
	$(call regzip,target/site-release)
	@wasm=$$(ls target/site-release/pkg/$(LEPTOS_OUTPUT_NAME).*.wasm); \
	for file in $$wasm $$wasm.br $$wasm.gz; do \
		[ -f "$$file" ] || { echo "error: $$file is missing (content-hashed, precompressed)" >&2; exit 1; }; \
	done; \
	gzip -t $$wasm.gz && gzip -dc $$wasm.gz | cmp -s - $$wasm \
		|| { echo "error: $$wasm.gz is not the wasm gzipped" >&2; exit 1; }; \
	raw=$$(wc -c < $$wasm); gz=$$(wc -c < $$wasm.gz); br=$$(wc -c < $$wasm.br); \
	echo "release main wasm $$(basename $$wasm): $$gz bytes gzipped, $$br with brotli ($$raw raw)"
	RUSTFLAGS="$(DEBUG_RUSTFLAGS)" cargo build -p bench
	PORTAL_SERVER=target/release/server LEPTOS_SITE_ROOT=target/site-release \
		WASM_GZIP_BUDGET=$(WASM_GZIP_BUDGET) ./target/debug/bench site-check

## bench: load-test the release server (the pages /login, /profile, /profile/professional and
## /directory at 50 clients beside the JSON read; PATCH, GET /en/profile, the SSR page and
## sign-in at 1, 8 and 64 clients, then PATCH beside 20 sign-ins/s) and a bare axum baseline;
## BENCH_SECS per row.
## BENCH_DB=postgres (or DATABASE_URL=postgres://...) adds PostgreSQL with one and two instances
bench: tools build-release haproxy
	cargo build --release -p bench
	$(call with_bench_database,./target/release/bench)

## lighthouse: Lighthouse 12.2.3 (pinned in end2end/) with its mobile preset on the release
## server (throwaway database, a member signed in): /login, /signup, /profile,
## /profile/professional, /profile/billing and /directory; fails below performance 95,
## accessibility, best practices or SEO 100, with the largest paint after 1.2 s or any layout
## shift on any page; prints LCP, TBT, CLS and bytes per page
lighthouse: tools browser build-release
	CHROME_PATH=$${CHROME_PATH:-$$(command -v chromium)} node end2end/scripts/lighthouse.mjs

## crash-test: kill -9 the release server under PATCH load 50 times (CRASH_ROUNDS); after each
## kill every acknowledged write must be in the database and integrity_check must say ok
crash-test: tools build-release
	cargo build --release -p bench
	$(call with_bench_database,./target/release/bench crash-test)

# Runs $(1) on SQLite; with BENCH_DB=postgres also on a throwaway PostgreSQL cluster (as the
# tests make one), with DATABASE_URL=postgres://... on that server (a new database is made on it).
define with_bench_database
	if [ "$${BENCH_DB:-}" = postgres ]; then \
		$(MAKE) --no-print-directory postgres; \
		cd /tmp && pg_virtualenv sh -c 'cd "$(CURDIR)" && \
			PORTAL_TEST_POSTGRES="postgres://$$PGUSER:$$PGPASSWORD@$$PGHOST:$$PGPORT/$$PGDATABASE" $(1)'; \
	elif case "$${DATABASE_URL:-}" in postgres://*|postgresql://*) true;; *) false;; esac; then \
		PORTAL_TEST_POSTGRES="$$DATABASE_URL" $(1); \
	else \
		$(1); \
	fi
endef

## fuzz-api: Schemathesis (installed into target/fuzz-venv) against the release server on a
## throwaway database, through /api/openapi.json: every phase, FUZZ_EXAMPLES (200) per operation;
## then FUZZ_FN_CASES (20,000) generated requests to the pages' server functions under /api/fn/
fuzz-api: tools build-release $(FUZZ_VENV)/.installed
	$(FUZZ_VENV)/bin/python fuzz-api/run.py
	FUZZ_FN_CASES=$${FUZZ_FN_CASES:-20000} RUSTFLAGS="$(DEBUG_RUSTFLAGS)" \
		cargo test -p server --features app/ssr --test server_fn_fuzz -- --nocapture

$(FUZZ_VENV)/.installed: fuzz-api/requirements.txt
	$(call python_venv,$(FUZZ_VENV),fuzz-api/requirements.txt)

# Makes the virtualenv $(1) with the pinned packages of $(2) (Debian's python3-venv first, if
# the machine lacks it), then stamps it.
define python_venv
	@python3 -m venv --help >/dev/null 2>&1 && python3 -c 'import ensurepip' 2>/dev/null \
		|| { $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y python3-venv; }
	python3 -m venv $(1)
	$(1)/bin/pip install --quiet --disable-pip-version-check -r $(2)
	touch $(1)/.installed
endef

fmt-check:
	cargo fmt --all -- --check

## lint: formatting and clippy for both the server and the browser build
lint: fmt-check
	RUSTFLAGS="$(DEBUG_RUSTFLAGS)" cargo clippy -p app -p server -p bench --features app/ssr --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

fmt:
	cargo fmt --all

clean:
	cargo clean
	rm -rf end2end/node_modules end2end/test-results
