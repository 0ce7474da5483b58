# pullgen — see README.md. `make demo` and `make test` do all the set-up they need.

GO        ?= go
BIN       := $(CURDIR)/bin
export PATH := $(BIN):$(PATH)

KUSTOMIZE_VERSION := v5.8.1
SOPS_VERSION      := v3.13.3
REGISTRY_VERSION  := v3.1.2
# gojq: the jq Argo CD evaluates ignoreDifferences' jqPathExpressions with (the version of
# its go.mod for the Argo CD release in deploy/argocd/argocd-version; a test checks they agree)
GOJQ_VERSION      := v0.12.19
# Microsoft's SARIF validator (npm @microsoft/sarif-multitool-linux, a self-contained
# binary): a test checks pullgen check --format sarif against GitHub code scanning's rules
SARIF_MULTITOOL_VERSION := 5.7.0
# Helm 3 and Helm 4, each in a folder of its own (both are `helm`); the Helm tests run
# pullgen as the post-renderer of each
HELM3_VERSION := v3.21.4
HELM4_VERSION := v4.3.2

.PHONY: all build demo test bench lint schema tools image image-context clean FORCE

all: build

build: $(BIN)/pullgen

$(BIN)/pullgen: $(shell find . -name '*.go' -not -path './bin/*') go.mod go.sum
	$(GO) build -o $@ ./cmd/pullgen

## tools: the real tools the tests drive, built into ./bin (ignored by git)
SARIF_MULTITOOL_DIR := $(BIN)/sarif-multitool-$(SARIF_MULTITOOL_VERSION)
tools: $(BIN)/kustomize $(BIN)/sops $(BIN)/registry $(BIN)/gojq $(BIN)/argocd-cmp-server $(BIN)/cmp-client $(SARIF_MULTITOOL_DIR) \
	$(BIN)/helm3 $(BIN)/helm4 $(BIN)/kubeseal

$(BIN)/kustomize:
	GOBIN=$(BIN) $(GO) install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

$(BIN)/sops:
	GOBIN=$(BIN) $(GO) install github.com/getsops/sops/v3/cmd/sops@$(SOPS_VERSION)

# distribution's registry: the real registry the tests of pullgen check --online run on loopback
$(BIN)/registry:
	GOBIN=$(BIN) $(GO) install github.com/distribution/distribution/v3/cmd/registry@$(REGISTRY_VERSION)

$(BIN)/gojq:
	GOBIN=$(BIN) $(GO) install github.com/itchyny/gojq/cmd/gojq@$(GOJQ_VERSION)

# kubeseal, sealed-secrets' CLI: the tests of sealed output open what pullgen seals with its
# --recovery-unseal. Built from a module of its own (tools/kubeseal: its go.mod names the
# version, its go.sum pins every dependency), which keeps the Kubernetes client out of
# pullgen's go.mod; -mod=readonly leaves that go.sum alone.
$(BIN)/kubeseal: tools/kubeseal/go.mod tools/kubeseal/go.sum
	cd tools/kubeseal && GOWORK=off $(GO) build -mod=readonly -o $@ github.com/bitnami/sealed-secrets/cmd/kubeseal

# ./bin/helm3 and ./bin/helm4 link to the helm binary of each version's folder.
HELM3 := $(BIN)/helm-$(HELM3_VERSION)/helm
HELM4 := $(BIN)/helm-$(HELM4_VERSION)/helm
$(HELM3):
	GOBIN=$(@D) $(GO) install helm.sh/helm/v3/cmd/helm@$(HELM3_VERSION)
$(HELM4):
	GOBIN=$(@D) $(GO) install helm.sh/helm/v4/cmd/helm@$(HELM4_VERSION)
$(BIN)/helm3: $(HELM3)
	ln -sfn $(patsubst $(BIN)/%,%,$<) $@
$(BIN)/helm4: $(HELM4)
	ln -sfn $(patsubst $(BIN)/%,%,$<) $@

# Argo CD's real plugin path, for the kit's tests (internal/testsupport/argocdtest): upstream's
# argocd-cmp-server and cmp-client, the repo server's own code driving it, built from the
# Argo CD module of ../shared/tools/argocd (its README.md). About 10 minutes on 2 cores
# the first time, seconds from Go's build cache after that; -mod=readonly leaves its go.sum
# alone (CI's copy of ../shared is read-only).
ARGOCD_TOOLS := $(CURDIR)/../shared/tools/argocd
$(BIN)/argocd-cmp-server $(BIN)/cmp-client &: $(shell find $(ARGOCD_TOOLS) -type f 2>/dev/null)
	cd $(ARGOCD_TOOLS) && GOWORK=off $(GO) build -mod=readonly -o $(BIN)/ ./cmd/argocd-cmp-server ./cmd/cmp-client

# The SARIF validator, from npm into its own folder, linked as ./bin/Sarif.Multitool.
# Without npm it is not installed, and the test that runs it skips.
SARIF_MULTITOOL_PKG := node_modules/@microsoft/sarif-multitool-linux
$(SARIF_MULTITOOL_DIR):
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "note: npm is not on this machine: the SARIF validator is not installed, its test skips"; exit 0; fi; \
	echo "npm install @microsoft/sarif-multitool-linux@$(SARIF_MULTITOOL_VERSION) into $@"; \
	set -e; rm -rf $@.tmp; \
	npm install --prefix $@.tmp --no-save --no-audit --no-fund --ignore-scripts --loglevel=error \
	  @microsoft/sarif-multitool-linux@$(SARIF_MULTITOOL_VERSION); \
	chmod u+x $@.tmp/$(SARIF_MULTITOOL_PKG)/Sarif.Multitool; \
	mv $@.tmp $@; \
	ln -sfn $(notdir $@)/$(SARIF_MULTITOOL_PKG)/Sarif.Multitool $(BIN)/Sarif.Multitool

## image: the container image of the Dockerfile, built offline from bin/image (the build
## context image-context lays out: the static binary, the machine's CA certificates, the
## image's users) with podman (CONTAINER_ENGINE=docker for docker) and the project's
## containers.conf. IMAGE names it.
IMAGE            := localhost/pullgen:dev
VERSION          := v0.1.0-dev
CONTAINER_ENGINE := podman
CA_BUNDLE        := /etc/ssl/certs/ca-certificates.crt
IMAGE_CONTEXT    := $(BIN)/image
image: image-context
	CONTAINERS_CONF=$${CONTAINERS_CONF:-$(CURDIR)/.ci/containers.conf} \
	  $(CONTAINER_ENGINE) build -f Dockerfile -t $(IMAGE) $(IMAGE_CONTEXT)

image-context: $(IMAGE_CONTEXT)/pullgen $(IMAGE_CONTEXT)/etc/passwd $(IMAGE_CONTEXT)/etc/ssl/certs/ca-certificates.crt

# Built every time (Go's cache makes it quick): VERSION may differ from the last build.
$(IMAGE_CONTEXT)/pullgen: FORCE
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X pullgen.dev/pullgen/internal/cli.Version=$(VERSION)" -o $@ ./cmd/pullgen

$(IMAGE_CONTEXT)/etc/passwd:
	mkdir -p $(@D)
	printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > $@
	printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' > $(@D)/group

$(IMAGE_CONTEXT)/etc/ssl/certs/ca-certificates.crt: $(CA_BUNDLE)
	mkdir -p $(@D)
	cp $< $@

## demo: run pullgen on a bundled example with its DEMO token and DEMO age key
DEMO_ENV := ACME_REGISTRY_TOKEN=demo-token-not-a-real-secret SOPS_AGE_KEY_FILE=$(CURDIR)/examples/DEMO-age-key.txt
demo: build $(BIN)/kustomize $(BIN)/sops
	@echo "# pullgen generate: Secrets encrypted for the DEMO age key (examples/.sops.yaml); unchanged ciphertext is kept"
	$(DEMO_ENV) $(BIN)/pullgen generate examples/private-registry-password/pullaccess.yaml
	@head -14 examples/private-registry-password/generated/secret-team-a-acme-registry.yaml
	@echo "# pullgen diff: committed output in step with the specs"
	$(DEMO_ENV) PARTNER_REGISTRY_TOKEN=demo-partner-token-not-real $(BIN)/pullgen diff examples
	@echo "# pullgen check: who would fail to pull"
	-$(BIN)/pullgen check examples/check-missing-credential
	@echo "# pullgen render (the Argo CD plugin): built in process and decrypted with the DEMO key"
	$(DEMO_ENV) $(BIN)/pullgen render examples/private-registry-password --allow-env ACME_REGISTRY_TOKEN

## The ground truth module (internal/testsupport/groundtruth, a module of its own so that the binary
## does not carry what it compares with): the check's models of mirror sets, pull sources,
## node auth files and credential providers beside the Machine Config Operator's,
## containers/image's and the kubelet's own code. Without cgo, as the operator's
## containers/storage and containers/image's both define one C symbol; with the build tags
## containers/image asks for. Its go.sum holds pullgen's dependencies too: after a change
## to go.mod, run `go mod tidy` there as well. About 7 minutes on 2 cores the first time
## (the kubelet's packages), seconds from Go's build cache after that.
GROUNDTRUTH      := CGO_ENABLED=0 $(GO) -C internal/testsupport/groundtruth
GROUNDTRUTH_TAGS := -tags containers_image_openpgp,exclude_graphdriver_btrfs

## test: every test, against the real tools, then the ground truth module, then a few
## seconds of fuzzing of what render decodes from a repository (the seed corpus runs with
## the tests already)
FUZZ := -run '^$$' -fuzztime 5s -fuzzminimizetime 2s
test: tools
	$(GO) test -count=1 ./...
	$(GROUNDTRUTH) test $(GROUNDTRUTH_TAGS) -count=1 ./...
	$(GO) test $(FUZZ) -fuzz '^FuzzKustomizationDecoding$$' ./internal/argocd/render
	$(GO) test $(FUZZ) -fuzz '^FuzzPullAccessDecoding$$' ./internal/argocd/render

## bench: every benchmark of the repository, against the real tools (kustomize and sops from
## ./bin, kubectl and age-keygen from the machine; a benchmark whose tool is missing skips).
## The process benchmarks of cmd/pullgen report wall time, CPU time and peak memory
## themselves (wall-ms, cpu-ms, peak-RSS-MB), and the comparisons the issues ask for
## (speedup-x); BenchmarkCheckProcess times `pullgen check` on 10,000 and 50,000 workloads;
## BenchmarkSidecarLoad (deploy/argocd) runs the kit's Argo CD sidecar in a container with
## podman under bursts of benign and hostile refreshes (benign/s, peak-MiB, oom-kills).
## About 6 minutes on 2 cores.
bench: tools
	$(GO) test -run '^$$' -bench . -benchmem ./...

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GROUNDTRUTH) vet $(GROUNDTRUTH_TAGS) ./...

## schema: rewrite the committed JSON Schema from the Go types
schema:
	UPDATE_GOLDEN=1 $(GO) test ./schema/ -run TestCommittedSchemaIsCurrent

clean:
	rm -rf $(BIN)

FORCE:
