# Givance: developer and CI entry points. `make help` lists them.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
# Where the tests look for PostgreSQL (the harness's default); TEST_DATABASE_URL / DATABASE_URL win.
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432
# The local cluster `make db-up` starts (Debian's pg_ctlcluster naming).
PG_CLUSTER ?= main
PG_URL := $(or $(TEST_DATABASE_URL),$(DATABASE_URL))
SUDO := $(shell if [ "$$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then echo sudo; fi)

.PHONY: help run test lint fmt fmt-check bench db-up migrate arch-check

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

run: ## Run the API (release build) on SQLite at 127.0.0.1:8080; GIVANCE_* variables configure it
	$(CARGO) run --release -p givance-cli -- serve

test: db-up ## Run every test (unit, SQLite, PostgreSQL, end-to-end, doctests) and the architecture check
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
	  echo '$(CARGO) nextest run --workspace --no-fail-fast'; $(CARGO) nextest run --workspace --no-fail-fast; \
	else \
	  echo '$(CARGO) test --workspace --no-fail-fast (cargo-nextest is not installed)'; $(CARGO) test --workspace --no-fail-fast; \
	fi
	$(CARGO) test --doc --workspace
	@$(MAKE) --no-print-directory arch-check

lint: ## Clippy on every crate and target, warnings are errors
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt: ## Format the workspace
	$(CARGO) fmt --all

fmt-check: ## Fail if the workspace is not formatted
	$(CARGO) fmt --all -- --check

bench: db-up ## Benchmarks on PostgreSQL: HTTP load (wrk, 64 connections) and CSV import; BENCH_SCALE=small for a quick run; figures to stdout and bench/results/
	PG_HOST=$(PG_HOST) PG_PORT=$(PG_PORT) bench/run.sh

migrate: ## Apply pending migrations to GIVANCE_DATABASE_URL (default sqlite://givance.db)
	$(CARGO) run --release -p givance-cli -- migrate up

arch-check: ## Fail if givance-domain depends on sea-orm, sqlx, actix or reqwest
	@found=$$($(CARGO) tree -p givance-domain -e normal --all-features --prefix none --format '{p}' \
	  | grep -Eo '^(sea-orm|sqlx|actix|reqwest)[A-Za-z0-9_-]*' | sort -u | tr '\n' ' ' || true); \
	if [ -n "$$found" ]; then \
	  echo "arch-check: givance-domain must not depend on I/O crates, but depends on: $$found" >&2; exit 1; \
	fi; \
	echo "arch-check: ok, givance-domain depends on no sea-orm, sqlx, actix or reqwest"

# PostgreSQL for the tests. A no-op when it answers. With TEST_DATABASE_URL / DATABASE_URL set,
# only checks that server. Otherwise starts the local cluster, first installing PostgreSQL from
# Debian's packages (with trust authentication on loopback, as the tests expect) if it is missing.
db-up: ## Make sure PostgreSQL answers (start it, or install it, if needed)
	@ready() { \
	  if [ -n "$(PG_URL)" ]; then pg_isready -q -d "$(PG_URL)"; else pg_isready -q -h $(PG_HOST) -p $(PG_PORT); fi; \
	}; \
	if command -v pg_isready >/dev/null 2>&1 && ready; then echo "db-up: PostgreSQL answers"; exit 0; fi; \
	if [ -n "$(PG_URL)" ]; then echo "db-up: the PostgreSQL named by TEST_DATABASE_URL / DATABASE_URL does not answer" >&2; exit 1; fi; \
	fresh=0; \
	if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then \
	  echo "db-up: PostgreSQL is not installed; installing it from Debian's packages"; \
	  $(SUDO) apt-get update -qq; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  fresh=1; \
	fi; \
	version=$$(ls /usr/lib/postgresql | sort -V | tail -n 1); \
	if ! pg_lsclusters -h 2>/dev/null | awk '{print $$1, $$2}' | grep -qx "$$version $(PG_CLUSTER)"; then \
	  $(SUDO) pg_createcluster -p $(PG_PORT) "$$version" $(PG_CLUSTER) >/dev/null; fresh=1; \
	fi; \
	if [ "$$fresh" = 1 ]; then \
	  hba=/etc/postgresql/$$version/$(PG_CLUSTER)/pg_hba.conf; \
	  $(SUDO) sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$$hba"; \
	  echo "db-up: trust authentication on loopback in $$hba"; \
	fi; \
	if pg_lsclusters -h | awk -v v="$$version" -v c=$(PG_CLUSTER) '$$1 == v && $$2 == c {print $$4}' | grep -qx online; then \
	  $(SUDO) pg_ctlcluster "$$version" $(PG_CLUSTER) reload; \
	else \
	  echo "db-up: starting PostgreSQL $$version ($(PG_CLUSTER))"; $(SUDO) pg_ctlcluster "$$version" $(PG_CLUSTER) start; \
	fi; \
	for _ in $$(seq 1 120); do \
	  if ready; then echo "db-up: PostgreSQL $$version answers on $(PG_HOST):$(PG_PORT)"; exit 0; fi; sleep 0.5; \
	done; \
	echo "db-up: PostgreSQL $$version did not answer on $(PG_HOST):$(PG_PORT) within 60 s" >&2; exit 1
