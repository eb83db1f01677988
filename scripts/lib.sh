# Shared helpers of the scripts: install what is missing from Debian's packages.

# need_pkg installs Debian packages whose command (first word of each pair CMD:PKG) is missing.
need_pkg() {
  local missing=()
  for pair in "$@"; do
    local cmd=${pair%%:*} pkg=${pair#*:}
    if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -e "$cmd" ]; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ ! -f /var/lib/apt/periodic/sistercity-updated ] || ! apt-cache policy "${missing[0]}" 2>/dev/null | grep -q Candidate; then
    $sudo apt-get update -qq
    $sudo mkdir -p /var/lib/apt/periodic && $sudo touch /var/lib/apt/periodic/sistercity-updated
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# need_go checks that a Go toolchain is there.
need_go() {
  if ! command -v go >/dev/null 2>&1; then
    if [ -x /usr/local/go/bin/go ]; then
      export PATH="/usr/local/go/bin:$PATH"
    else
      need_pkg go:golang-go
    fi
  fi
}
