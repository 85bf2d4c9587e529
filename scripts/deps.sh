#!/usr/bin/env bash
# Installs the Debian packages capsearch needs, only those missing. Safe to run repeatedly.
# Extra package names given as arguments are installed too (e.g. chromium for the report test).
set -euo pipefail
# python3 only for one shell test that rewrites a sweep file; help2man for the man pages;
# universal-ctags for the shape check (scripts/check-shape.sh)
pkgs=(build-essential cmake pkg-config libyaml-dev zlib1g-dev libcsv-dev nettle-dev libcunit1-dev python3 help2man universal-ctags "$@")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "capsearch: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
