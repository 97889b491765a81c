#!/bin/sh
# Debian's chromium for the browser tests (`make test-browser`). Playwright's own browser download
# (`playwright install`) is never used: the tests launch /usr/bin/chromium (or $SEMINAR_CHROMIUM).
set -eu
CHROMIUM="${SEMINAR_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "The browser tests need Chromium at $CHROMIUM. Install it as root:" >&2
    echo "    apt-get update && apt-get install -y chromium" >&2
    echo "or point SEMINAR_CHROMIUM at a Chromium binary." >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "No apt-get here: install Chromium yourself and set SEMINAR_CHROMIUM to its binary." >&2
    exit 1
fi
echo "Installing Debian's chromium (for the browser tests) ..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
test -x "$CHROMIUM"
