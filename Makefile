# sistercity — the two commands: `make run` (demo on the embedded database) and `make test`.
SHELL := /bin/bash
BIN := bin/sistercity
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: run build test vet fmt clean

run: build
	./$(BIN) serve --demo

build:
	@. scripts/lib.sh && need_go
	go build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/sistercity

test:
	bash scripts/test.sh

vet:
	go vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
