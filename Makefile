# fiatdashboard — the README's two commands are `make run` and `make test`.
SHELL   := /bin/bash
GO      ?= go
BIN     := bin/fiatdashboard
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
UI      := web/ui
UI_SRC  := $(shell find $(UI)/src $(UI)/index.html $(UI)/vite.config.ts $(UI)/tsconfig.json $(UI)/package.json -type f 2>/dev/null)

.PHONY: run test bench build ui lint chromium node clean chaos

## run: build everything and start the platform for local use (prints URLs and credentials)
run: build
	./$(BIN) dev

## test: every test against real PostgreSQL, Redis, stripe-mock and headless Chromium
test: ui chromium
	@set -e; eval "$$($(GO) run ./cmd/fiatdashboard services up)"; \
	FD_E2E=required $(GO) test -count=1 -timeout 30m ./...

## bench: the Go benchmarks, then serve next to baseline Fiber handlers under load (ratio table, progress
## streams), the scale figures at 10k and 1M deployments, and the paid → running pipeline next to Asynq no-op
## throughput; prints, asserts nothing (see README, Performance)
bench: build
	@set -e; eval "$$($(GO) run ./cmd/fiatdashboard services up)"; \
	$(GO) test -run '^$$' -bench . -benchmem ./...; \
	./$(BIN) bench http; \
	./$(BIN) bench scale; \
	./$(BIN) bench pipeline

## chaos: separate serve and worker take FD_CHAOS_N paid orders (default 300, FD_CHAOS_RATE per second) while the worker is SIGKILLed, Redis restarts empty twice and serve dies once; prints the outcome (not part of `make test`)
chaos:
	@set -e; eval "$$($(GO) run ./cmd/fiatdashboard services up)"; \
	$(GO) test -tags chaos -count=1 -run '^TestChaos$$' -v -timeout 60m ./cmd/fiatdashboard/ | grep -v '^=== RUN'

## build: the UI, then the one binary with the UI embedded
build: ui
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/fiatdashboard

## ui: build web/ui (React + Vite + Tailwind) into web/dist
ui: web/dist/index.html

web/dist/index.html: $(UI)/node_modules/.package-lock.json $(UI_SRC)
	cd $(UI) && npm run build

$(UI)/node_modules/.package-lock.json: $(UI)/package-lock.json | node
	cd $(UI) && npm ci --no-audit --no-fund

node:
	@command -v npm >/dev/null || { echo "make: npm is missing: install Debian's packages nodejs and npm (Node.js 20 or newer)" >&2; exit 1; }

## chromium: Debian's chromium for the browser tests (Playwright drives it; no browser download); FD_CHROMIUM names another
chromium:
	@if [ -n "$$FD_CHROMIUM" ]; then \
	  [ -x "$$FD_CHROMIUM" ] || { echo "make: FD_CHROMIUM=$$FD_CHROMIUM is not an executable browser" >&2; exit 1; }; \
	elif [ ! -x /usr/bin/chromium ]; then \
	  echo "make: installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "make: install Debian's package chromium (apt-get install chromium) for the browser tests" >&2; exit 1; fi; \
	fi

## lint: gofmt, go vet, no tracked file over 1 MB (lock files and the OpenAPI document excepted), the UI's API types generated from the current web/openapi.json
lint: $(UI)/node_modules/.package-lock.json
	@big="$$(git ls-files -z | xargs -0 -r stat -c '%s %n' | awk '$$1 > 1048576 {print $$2}' | grep -vE '(package-lock\.json|go\.sum|web/openapi\.json)$$' || true)"; \
	  if [ -n "$$big" ]; then echo "tracked files over 1 MB (build output? untrack and ignore them):"; echo "$$big"; exit 1; fi
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@cd $(UI) && npm run --silent api-types:check >/dev/null || { echo "web/ui/src/api.gen.ts is not generated from the current web/openapi.json: run (cd web/ui && npm run api-types)"; exit 1; }

## clean: remove build output and stop private services
clean:
	-$(GO) run ./cmd/fiatdashboard services down
	rm -rf bin web/dist/assets web/dist/index.html
