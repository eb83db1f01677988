#!/usr/bin/env bash
# deb.sh builds the Debian package bin/sistercity_VERSION-1_amd64.deb with nfpm (installed once
# from the Go module proxy into $(go env GOPATH)/bin) and prints its path. The version comes from
# git describe (scripts/debversion.sh); DEB_OUT_DIR moves the output. nfpm (GoReleaser's) rather
# than dpkg-buildpackage: a Go binary needs no debian/ source tree or build dependencies, and
# nfpm writes the ar and tar members itself from one description, packaging/nfpm.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
need_go
nfpm_version=v2.48.0
gobin="$(go env GOPATH | cut -d: -f1)/bin"
nfpm="$gobin/nfpm"
if [ ! -x "$nfpm" ] || ! go version -m "$nfpm" 2>/dev/null | grep -q "mod.*nfpm/v2.*$nfpm_version"; then
  echo "installing nfpm $nfpm_version (once)" >&2
  GOBIN="$gobin" go install "github.com/goreleaser/nfpm/v2/cmd/nfpm@$nfpm_version" >&2
fi

describe=$(git describe --tags --always --dirty 2>/dev/null || echo 0)
export DEB_VERSION
DEB_VERSION=$(bash scripts/debversion.sh "$describe")
out=${DEB_OUT_DIR:-bin}
mkdir -p "$out"
out=$(cd "$out" && pwd)
# nfpm runs in a directory of its own, with packaging/'s files, the README and what is built
# here: two builds at once (make deb beside make test) do not meet.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp packaging/nfpm.yaml packaging/config.toml packaging/sistercity.service packaging/sistercity-backup.service \
  packaging/sistercity-backup.timer packaging/copyright \
  packaging/lintian-overrides packaging/postinst packaging/prerm packaging/postrm README.md "$work/"

# A static, stripped, position-independent binary (static-pie): the package depends on no libc
# version, and the address layout is randomised.
CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -buildmode=pie \
  -ldflags "-s -w -X main.version=$describe" -o "$work/sistercity" ./cmd/sistercity

{
  echo "sistercity ($DEB_VERSION-1) unstable; urgency=medium"
  echo
  echo "  * Built from git $describe."
  echo
  echo " -- sistercity maintainers <maintainers@users.noreply.r-seed-dbbbe547.example>  $(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")"
} | gzip -9n >"$work/changelog.Debian.gz"

gzip -9n <packaging/sistercity.1 >"$work/sistercity.1.gz"

deb="$out/sistercity_${DEB_VERSION}-1_amd64.deb"
rm -f "$deb"
(cd "$work" && "$nfpm" package --config nfpm.yaml --packager deb --target "$deb" >&2)
echo "$deb"
