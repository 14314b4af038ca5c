#!/usr/bin/env bash
# promtool and the Prometheus server from Debian's `prometheus` package, for the alert rule
# tests and the scrape test (tests/observability, tests/e2e). Does nothing when promtool is
# there; without apt-get it says so and returns (those tests then skip, saying why).
set -euo pipefail
if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-get is not available: promtool and prometheus not installed (the monitoring tests will skip)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# the server itself is run by the tests, never as a system service
$SUDO apt-get install -y -q --no-install-recommends prometheus
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
  $SUDO systemctl disable --now prometheus || true
fi
