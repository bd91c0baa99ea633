#!/usr/bin/env bash
# The Debian packages the tests need beyond Python: headless Chromium and its driver (the app's browser tests),
# a PostgreSQL server (the store's PostgreSQL tests) and Korean fonts (Hangul in screenshots).
# Missing ones are installed when we are root (as on CI and a fresh machine of this kind); otherwise the script
# prints the one command to run and exits 2, before any test runs. `make test` and `.ci/run` both call it.
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || need+=(postgresql)
fc-list 2>/dev/null | grep -qi nanum || need+=(fonts-nanum)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "the tests need Debian packages that are not installed: ${need[*]}" >&2
  echo "run once:  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${need[*]}" >&2
  exit 2
fi
echo "installing Debian packages the tests need: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
