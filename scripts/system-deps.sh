#!/usr/bin/env bash
# Install the Debian packages the test suite needs (servers are started by the tests' own fixtures on
# loopback). Idempotent: does nothing when everything is present. Needs root or sudo for apt-get.
set -euo pipefail
# `system-deps.sh fonts`: only what the evidence bundle needs (a Chinese font and fontconfig), for `make run`
if [ "${1:-}" = "fonts" ]; then want=(fonts-wqy-microhei fontconfig); else
want=(fonts-wqy-microhei fontconfig poppler-utils redis-server chromium); fi
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "system-deps: missing ${missing[*]} and not root; install them with apt-get" >&2; exit 1; fi
fi
echo "system-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
