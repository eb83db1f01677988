# sistercity — the two commands: `make run` (demo on the embedded database) and `make test`.
SHELL := /bin/bash
BIN := bin/sistercity
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: run build test bench vet fmt clean deb hlsjs tusjs

# hlsjs installs the hls.js bundle the player embeds (scripts/hlsjs.sh); without it (no npm, no
# network) the build goes on and the player falls back to native HLS or the MP4 renditions.
hlsjs:
	@bash scripts/hlsjs.sh >/dev/null || echo "hls.js not installed: the player will fall back to MP4 where HLS is not native" >&2

# tusjs installs tus-js-client, the upload pages' resumable-upload client (scripts/tusjs.sh);
# without it the build goes on and the upload pages say that uploading is not available.
tusjs:
	@bash scripts/tusjs.sh >/dev/null || echo "tus-js-client not installed: the upload pages will say uploading is not available" >&2

run: build
	@. scripts/lib.sh && need_pkg ffmpeg:ffmpeg ffprobe:ffmpeg /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc:fonts-noto-cjk
	./$(BIN) serve --demo

build: hlsjs tusjs
	@. scripts/lib.sh && need_go
	go build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/sistercity

test: hlsjs tusjs
	bash scripts/test.sh

# deb builds the Debian package bin/sistercity_VERSION-1_amd64.deb with nfpm (installed once from
# the Go module proxy); packaging/ holds its files, packaging/deb_test.go checks it.
deb: hlsjs tusjs
	bash scripts/deb.sh

# test-stress runs make test STRESS_RUNS times (default 5) beside two CPU-bound processes.
.PHONY: test-stress
test-stress:
	bash scripts/test-stress.sh

# bench runs the benchmarks of docs/benchmarks.md; it installs nginx (Debian's package) for
# the delivery and pages comparisons. Flags pass through, e.g. make bench DELIVERY_FLAGS='-rounds 7'
# PAGES_FLAGS='-duration 5s -rounds 5'.
bench:
	@. scripts/lib.sh && need_go && need_pkg /usr/sbin/nginx:nginx ffmpeg:ffmpeg
	go run ./bench/delivery $(DELIVERY_FLAGS)
	go run ./bench/processing $(PROCESSING_FLAGS)
	go run ./bench/pages $(PAGES_FLAGS)

vet:
	go vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
