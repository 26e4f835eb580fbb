# The README's commands. Each installs what is missing (scripts/ensure-deps) first.
SWIFT ?= swift
BUILD_FLAGS ?= -Xswiftc -warnings-as-errors

.PHONY: demo test soak bench build lint deps clean

## demo: build erpmes and run the demo (it starts a private throwaway PostgreSQL cluster itself)
## DEMO_ARGS passes options, e.g. make demo DEMO_ARGS="--duration 60 --scale 2"
DEMO_ARGS ?=
demo: deps
	$(SWIFT) build $(BUILD_FLAGS) --product erpmes
	$$($(SWIFT) build --show-bin-path)/erpmes demo --dir . $(DEMO_ARGS)

## test: the whole test suite against a throwaway PostgreSQL 15 (what CI runs)
test: deps lint
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	scripts/pg-sandbox run -- scripts/run-tests

## soak: the issues' full-scale numbers (long); prints the figures closing notes report
## (-enable-testing: the test targets @testable-import the modules, which a release build
## otherwise does not allow)
soak: deps
	$(SWIFT) build --build-tests -c release -Xswiftc -enable-testing
	ERPMES_SOAK=1 scripts/pg-sandbox run -- scripts/run-tests -c release -Xswiftc -enable-testing

## bench: replication throughput against a plain batched upsert, and backlog drains against native
## logical replication, in one run (release build, fsync on, wal_level = logical)
## BENCH_ARGS passes options, e.g. make bench BENCH_ARGS="--rows 1000000 --scenarios backlog"
BENCH_ARGS ?=
bench: deps
	$(SWIFT) build -c release --product erpmes
	PG_SANDBOX_BENCH=1 scripts/pg-sandbox run -- $$($(SWIFT) build -c release --show-bin-path)/erpmes bench --dir . --replicator-user erpmes_run $(BENCH_ARGS)

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

lint:
	$(SWIFT) format lint --strict -r Sources Tests Package.swift

deps:
	scripts/ensure-deps

clean:
	rm -rf .build
