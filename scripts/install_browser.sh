#!/usr/bin/env bash
# Chromium and its WebDriver from the system's packages, for the console's browser test, and a
# Japanese font so its screenshots show the page's words (not boxes).
# Idempotent: does nothing when they are already installed.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 \
   && fc-list 2>/dev/null | grep -qi "ipagothic\|ipaexgothic\|noto sans cjk"; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q chromium chromium-driver fonts-ipafont-gothic fontconfig
