# pullgen — see README.md. `make demo` and `make test` do all the set-up they need.

GO        ?= go
BIN       := $(CURDIR)/bin
export PATH := $(BIN):$(PATH)

KUSTOMIZE_VERSION := v5.8.1
SOPS_VERSION      := v3.13.3

.PHONY: all build demo test bench lint schema tools clean

all: build

build: $(BIN)/pullgen

$(BIN)/pullgen: $(shell find . -name '*.go' -not -path './bin/*') go.mod go.sum
	$(GO) build -o $@ ./cmd/pullgen

## tools: the real tools the tests drive, built into ./bin (ignored by git)
tools: $(BIN)/kustomize $(BIN)/sops

$(BIN)/kustomize:
	GOBIN=$(BIN) $(GO) install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

$(BIN)/sops:
	GOBIN=$(BIN) $(GO) install github.com/getsops/sops/v3/cmd/sops@$(SOPS_VERSION)

## demo: run pullgen on the bundled example with its DEMO credential
demo: build tools
	@echo "# kustomize build examples/private-registry-password (DEMO token, not a real secret)"
	ACME_REGISTRY_TOKEN=demo-token-not-a-real-secret \
	  $(BIN)/kustomize build --enable-alpha-plugins --enable-exec examples/private-registry-password
	@echo "# pullgen generate -o $(BIN)/demo-output"
	ACME_REGISTRY_TOKEN=demo-token-not-a-real-secret \
	  $(BIN)/pullgen generate examples/private-registry-password/pullaccess.yaml -o $(BIN)/demo-output
	@ls $(BIN)/demo-output

## test: every test, against the real tools
test: tools
	$(GO) test -count=1 ./...

## bench: the benchmarks the issues name, with time and peak memory
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) run ./internal/benchgen -namespaces 500 -registries 3 -serviceaccounts 2 -workloads 2000 > $(BIN)/bench-500.yaml
	@echo "# one pullgen run over 500 namespaces, 3 registries, 2 ServiceAccounts, 2,000 workloads:"
	@BENCH_TOKEN=bench-token /usr/bin/time -f "wall %e s, cpu %U+%S s, peak RSS %M KB" $(BIN)/pullgen < $(BIN)/bench-500.yaml > /dev/null

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## schema: rewrite the committed JSON Schema from the Go types
schema:
	UPDATE_GOLDEN=1 $(GO) test ./schema/ -run TestCommittedSchemaIsCurrent

clean:
	rm -rf $(BIN)
