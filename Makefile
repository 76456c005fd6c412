# The front door. `make test` is what CI runs (through .ci/run); `make demo`
# runs the whole pipeline locally against the simulated server.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO       ?= go
# Every module of the workspace, as package patterns (go.work lists them).
MODULES   = $(shell $(GO) list -m)
PKGS      = $(addsuffix /...,$(MODULES))
# Every tool is a module under tools/ with a main.go.
TOOLS     = $(patsubst tools/%/main.go,%,$(wildcard tools/*/main.go))
TOOLBIN  := $(CURDIR)/.tools
FUZZTIME ?= 10s
BENCHTIME ?= 1s
# gpumon's NVML backend is cgo (go-nvml): NVML's header marks functions
# gpumon never calls as deprecated, which would warn on every fresh build.
CGO_CFLAGS ?= -O2 -g -Wno-deprecated-declarations
export CGO_CFLAGS

# Pinned developer tools, installed into .tools/ on first use.
STATICCHECK := $(TOOLBIN)/staticcheck
STATICCHECK_VERSION := v0.8.2
ACTIONLINT := $(TOOLBIN)/actionlint
ACTIONLINT_VERSION := v1.7.12
# The shell that runs on GPU nodes, and the scripts; shellcheck follows what each script sources.
SHELL_SCRIPTS = $(wildcard benchmarks/*.sh benchmarks/agentic/*.sh runners/*.sh scripts/*.sh)

.PHONY: build test lint bench fuzz demo clean tools

build:
	@mkdir -p bin
	@for t in $(TOOLS); do echo "go build -o bin/$$t ./tools/$$t"; $(GO) build -trimpath -o bin/$$t ./tools/$$t; done

test: build
	$(GO) test $(GOTESTFLAGS) $(PKGS)

lint: $(STATICCHECK) $(ACTIONLINT)
	@bad=$$(gofmt -l $$(git ls-files '*.go'; git ls-files --others --exclude-standard '*.go')); \
	  if [ -n "$$bad" ]; then echo "gofmt would change:"; echo "$$bad"; exit 1; fi
	$(GO) vet $(PKGS)
	$(STATICCHECK) $(PKGS)
	@command -v shellcheck >/dev/null || { echo "make lint needs shellcheck (Debian: apt-get install shellcheck)"; exit 1; }
	$(ACTIONLINT) -no-color
	shellcheck --external-sources --source-path=SCRIPTDIR $(SHELL_SCRIPTS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) $(PKGS)

fuzz:
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh $(PKGS)

# The demo: the benchmark workflow run locally (tools/e2e) on demo/master.yaml, against
# loadgen's simulated server, plus one eval-only job (lm-eval's stand-in, loadgen
# sim-eval) through the accuracy gate; its prompts come from loadgen's tiny test
# tokenizer, so nothing is downloaded. The agentic-coding jobs replay synthesized
# traces for DEMO_AGENTIC_DURATION seconds each (their configs ask for an hour).
DEMO_OUT ?= demo-out
DEMO_TOKENIZER ?= $(CURDIR)/tools/loadgen/bench/testdata/tinytok
DEMO_AGENTIC_DURATION ?= 5
demo: build
	@test -x bin/loadgen || { echo "make demo: bin/loadgen is missing (tools/loadgen has no command yet)"; exit 1; }
	@set -x; \
	  ./bin/e2e -out $(DEMO_OUT) -env TOKENIZER=$(DEMO_TOKENIZER) -env SIM_AGENTIC_DURATION=$(DEMO_AGENTIC_DURATION) -evals 1 \
	    full-sweep --single-node --config-files demo/master.yaml --runner-config demo/runners.yaml

tools: $(STATICCHECK) $(ACTIONLINT)

$(STATICCHECK):
	GOBIN=$(TOOLBIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(ACTIONLINT):
	GOBIN=$(TOOLBIN) $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

clean:
	rm -rf bin
