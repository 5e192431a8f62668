#!/usr/bin/env bash
# Installs the Debian packages the test suite runs against, and nothing already installed.
#
#   scripts/install-system-deps.sh [EXTRA_PACKAGE...]
#
# Default set: Ceph's monitor, OSD and RADOS Gateway (a real S3-compatible server for
# tests/s3; the fixture starts a throw-away single-node cluster on loopback), and Chromium
# (the web UI's browser tests drive it through Playwright). Idempotent: when
# every package is present it exits without touching apt. Runs apt-get non-interactively with
# --no-install-recommends, through sudo when not root; refreshes the package lists only if the
# first attempt fails (a fresh machine with empty lists).
set -euo pipefail

packages=(ceph-mon ceph-osd radosgw ceph-common chromium fonts-liberation "$@")

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$package")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "system packages already installed: ${packages[*]}"
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "need root (or sudo) to install: ${missing[*]}" >&2
  exit 1
fi
apt=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q --no-install-recommends)

echo "installing: ${missing[*]}"
if ! "${apt[@]}" install "${missing[@]}"; then
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q update
  "${apt[@]}" install "${missing[@]}"
fi
