# BanGUI — build, run and test on Debian 12.
#
#   make run          install the build packages, then run the app
#   make test         install the test packages, gofmt check, vet, all tests
#   make build        bin/bangui
#   make package      dist/BanGUI.tar.xz with `fyne package` (scripts/package.sh)
#   make bench        scripts/bench.sh
#   make screenshots  window smoke test, saving docs/screenshots/*.png
#
# The build tag migrated_fynedo is what `fyne build` adds for apps that went
# through the fyne.Do migration: it turns off Fyne's thread checks and uses
# the cheaper internals. The window smoke test deliberately builds its own
# binary WITHOUT the tag so those checks run there (see cmd/bangui/smoke_test.go).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

export PATH := /usr/local/go/bin:$(PATH)
# Fyne logs "Error parsing user locale" for C / C.UTF-8. It only parses the
# string, so no locale package is needed.
export LANG := en_US.UTF-8

GO   ?= go
TAGS := migrated_fynedo

.PHONY: all run test build package bench screenshots deps-run deps-test fmt-check vet

all: build

deps-run:
	scripts/install-deps.sh run

deps-test:
	scripts/install-deps.sh test

run: deps-run
	$(GO) run -tags $(TAGS) ./cmd/bangui

build:
	$(GO) build -tags $(TAGS) -o bin/bangui ./cmd/bangui

# The Linux release package: binary, .desktop entry, icon and fyne's
# Makefile (install / user-install) in dist/BanGUI.tar.xz.
package:
	scripts/install-deps.sh package
	scripts/package.sh -o $(CURDIR)/dist

# Lists every Go file gofmt would change, and fails if there is one.
fmt-check:
	@files=$$(find . -name '*.go' -not -path './.git/*' -not -path '*/testdata/*' -not -path './vendor/*' -print0 \
		| xargs -0 -r gofmt -l); \
	if [ -n "$$files" ]; then \
		echo "gofmt: these files are not formatted (run gofmt -w on them):"; \
		echo "$$files" | sed 's/^/  /'; \
		exit 1; \
	fi; \
	echo "gofmt: ok"

vet:
	$(GO) vet -tags $(TAGS) ./...

test: deps-test
	$(MAKE) --no-print-directory fmt-check
	$(MAKE) --no-print-directory vet
	$(GO) test -race -tags $(TAGS) -count=1 -timeout 60m ./...

# scripts/bench.sh is maintained separately.
bench:
	scripts/bench.sh

# Same flags as `make test`, so the build cache is shared.
screenshots: deps-test
	BANGUI_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots \
		$(GO) test -race -tags $(TAGS) -count=1 -timeout 40m -run '^TestWindowSmoke$$' -v ./cmd/bangui
