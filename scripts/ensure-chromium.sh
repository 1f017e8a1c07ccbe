#!/usr/bin/env bash
# The browser tests drive Debian's Chromium at /usr/bin/chromium (playwright-core downloads no browser).
# Installs it when it is missing and we may (root with apt-get); otherwise says how, and lets the tests fail clearly.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: installing chromium with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium
  exit 0
fi
echo "ensure-chromium: /usr/bin/chromium is missing; the browser tests need it. Install it with:" >&2
echo "  sudo apt-get update && sudo apt-get install -y chromium" >&2
exit 0
