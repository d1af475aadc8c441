#!/usr/bin/env bash
# Installs Debian's chromium (and a font, so text renders) for the browser test of eval/report
# (TestHTMLInChromium, which .ci/run runs with PTTRUST_REQUIRE_BROWSER=1). Idempotent: does nothing
# when a browser the test would find is already there. Needs root or sudo, and apt.
set -euo pipefail

for c in "${PTTRUST_CHROMIUM:-}" /usr/bin/chromium chromium chromium-browser; do
	if [ -n "$c" ] && command -v "$c" >/dev/null 2>&1; then
		echo "chromium present: $(command -v "$c")"
		exit 0
	fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
pkgs=(chromium fonts-dejavu-core)
# Try with the package lists at hand first; refresh them only when that fails.
if ! $SUDO apt-get install -y -q "${pkgs[@]}" >/tmp/install-chromium.log 2>&1; then
	$SUDO apt-get update -q >>/tmp/install-chromium.log 2>&1
	if ! $SUDO apt-get install -y -q "${pkgs[@]}" >>/tmp/install-chromium.log 2>&1; then
		tail -n 40 /tmp/install-chromium.log >&2
		echo "install-chromium: apt-get install ${pkgs[*]} failed" >&2
		exit 1
	fi
fi
echo "installed: $(chromium --version 2>/dev/null | tail -n 1)"
