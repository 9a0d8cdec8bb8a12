#!/usr/bin/env bash
# Finds Chromium for the web view's browser tests (pkg/webui), installing it
# from Debian's packages when there is none, and prints its path.
# Usage: eval "$(.ci/chromium.sh)"   (exports JML_TEST_CHROMIUM)
set -euo pipefail
find_chromium() {
  for name in chromium chromium-browser google-chrome google-chrome-stable; do
    if command -v "$name"; then return; fi
  done
}
exe=${JML_TEST_CHROMIUM:-$(find_chromium)}
if [ -z "$exe" ]; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >&2 || {
      apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >&2; }
  else
    echo "chromium is not installed and this is not root" >&2; exit 1
  fi
  exe=$(find_chromium)
fi
if [ ! -x "$exe" ]; then
  echo "no Chromium at '$exe'" >&2; exit 1
fi
echo "export JML_TEST_CHROMIUM='$exe'"
