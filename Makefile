# jwtd — see README.md. `make run` starts jwtd on the embedded default
# config; `make test` is what CI runs.

GO       ?= go
BIN      := bin
PLUGINS  := $(wildcard plugins/*/cmd/*)
# Each fuzz target as package:FuzzName; `make test` runs each briefly,
# `make fuzz` longer.
FUZZ_TARGETS := ./core:FuzzDecode ./core:FuzzJSONWalk ./sdk/passwords:FuzzCheck ./host/httpapi:FuzzRequestBody ./host/httpapi:FuzzAuthorizationHeader ./host/httpapi:FuzzAppendString ./host/httpapi:FuzzLoginThrottleKey ./sdk/wire:FuzzDecodeObject
FUZZTIME     ?= 60s
# The Go modules of the repository: jwtd itself and the plugin SDK (sdk/,
# a module of its own). `go test ./...` does not descend into a nested
# module, so vet and unit run in each.
MODULES      := . sdk
TEST_TIMEOUT ?= 15m

.PHONY: all build run test fmt-check vet unit fuzz fuzz-short bench proto clean

all: build

## build: bin/jwtd and every plugin binary (plugins/*/cmd/*) into bin/,
## and the examples' plugins into examples/*/bin/ (their jwtd.toml files
## name them there)
build:
	$(GO) build -o $(BIN)/jwtd ./host/cmd/jwtd
	@for d in $(PLUGINS); do \
		echo "$(GO) build -o $(BIN)/$$(basename $$d) ./$$d"; \
		$(GO) build -o $(BIN)/$$(basename $$d) ./$$d || exit 1; \
	done
	$(GO) build -o examples/htpasswd-userstore/bin/jwtd-example-htpasswd ./examples/htpasswd-userstore
	$(GO) build -o examples/allowlist-rule/bin/jwtd-example-allowlist ./examples/allowlist-rule
	$(GO) build -o examples/roles-claims/bin/jwtd-example-roles-claims ./examples/roles-claims
	@sh examples/python-rule/gen.sh || echo "python-rule: stubs not generated (needs python3-grpc-tools)"

## run: build, then serve on the embedded default (jwtd.toml: the SQLite
## stores out of process, as bin/jwtd-plugin-sqlite)
run: build
	$(BIN)/jwtd serve --config jwtd.toml

## test: formatting, vet, every test with the race detector, brief fuzzing
test: fmt-check vet unit fuzz-short

fmt-check:
	@out=$$(gofmt -l .); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	@for m in $(MODULES); do \
		echo "(cd $$m && $(GO) vet ./...)"; \
		(cd $$m && $(GO) vet ./...) || exit 1; \
	done

unit:
	@for m in $(MODULES); do \
		echo "(cd $$m && $(GO) test -race -timeout $(TEST_TIMEOUT) ./...)"; \
		(cd $$m && $(GO) test -race -timeout $(TEST_TIMEOUT) ./...) || exit 1; \
	done

fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=5s

## fuzz: run every fuzz target for FUZZTIME (default 60s) each (a target
## under sdk/ runs inside the SDK module: go fuzzes only main-module packages)
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; dir=.; \
		case $$pkg in ./sdk/*) dir=sdk; pkg=./$${pkg#./sdk/};; esac; \
		echo "(cd $$dir && $(GO) test -run='^$$' -fuzz='^$$name$$' -fuzztime=$(FUZZTIME) $$pkg)"; \
		(cd $$dir && $(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) $$pkg) || exit 1; \
	done

## bench: the load benchmark (requests/s and CPU per request vs bare net/http)
bench: build
	$(GO) run ./bench -jwtd $(BIN)/jwtd -plugin-dir $(BIN)

## proto: regenerate the committed gRPC code from sdk/proto (needs protoc)
proto:
	./sdk/proto/gen.sh

clean:
	rm -rf $(BIN) examples/*/bin
