#!/usr/bin/env bash
# Fetches the Debian packages the tiny ViT and audio backbones are pretrained from, into the same cache as
# fetch.sh (default .cache/sources), and synthesises the spoken words tiny-ast learns from. Only maintainers
# rebuilding tiny-vit / tiny-ast need this: the shipped models and their tests need neither network nor espeak-ng.
# Also fetches scikit-learn's copy of the UCI digits (embedded vision data, make vision-data).
# Usage: tasks/data/sources/fetch-media.sh [CACHE_DIR] [--packages-only]
# (--packages-only: fetch and unpack the pinned packages, skip the pretraining words; make-audio-data.sh uses it)
#
# Packages are pinned by version and sha256 (what Debian 12 serves; apt also checks each .deb against the signed
# archive index). A point release that replaces a version makes the download fail here: review the new package,
# then update its pin (and rebuild the models, whose manifests record the versions).
# Licences: dataset-fashion-mnist: MIT (Expat; Xiao, Rasul & Vollgraf, 2017). espeak-ng: GPL-3.0-or-later (the
# synthesiser; the clips it writes are its output, not a copy of it); libsonic0: Apache-2.0; libpcaudio0: GPL-3+;
# python3-sklearn: BSD-3-Clause (only sklearn/datasets/data/digits.csv.gz is used: UCI digits, CC BY 4.0).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${1:-$(git rev-parse --show-toplevel 2>/dev/null || pwd)/.cache/sources}"
packages_only="${2:-}"
mkdir -p "$cache"
cd "$cache"

# name=version sha256 target-folder (packages sharing a folder are unpacked into one root, as espeak-ng needs its libraries)
debs=(
  "dataset-fashion-mnist=0.0~git20200523.55506a9-1 39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0 deb_dataset-fashion-mnist"
  "python3-sklearn=1.2.1+dfsg-1 ca0c6be401d14871c7e93cfdd8d1f561595dc65e6e2ad2501d568aee7f7efc58 deb_python3-sklearn"
  "espeak-ng=1.51+dfsg-10+deb12u2 a11396a690f85f55e6e6b2965505237ddf3dc95c51936aa61de936f1ccf8f4d0 deb_espeak-ng"
  "espeak-ng-data=1.51+dfsg-10+deb12u2 573f5661c6a5adcf949018baad158c4c773bf5579390ee5235a890f1cd694106 deb_espeak-ng"
  "libespeak-ng1=1.51+dfsg-10+deb12u2 2b127a95b50d92cbd7a615968d2ac1566e1cbc87e27bcda0c2894afb2407c6d2 deb_espeak-ng"
  "libpcaudio0=1.2-2 5309759e4d129c7d9a601240cc6e62820ecfa86a1a98e207992ffa6a572dbcd2 deb_espeak-ng"
  "libsonic0=0.2.0-12 9d60de6918ace0b10e3e4e95421befd08aaf03b5b2a3d71ceb799e0cf259916f deb_espeak-ng"
)
for entry in "${debs[@]}"; do
  read -r spec sha dir <<<"$entry"
  name="${spec%%=*}"
  mkdir -p "$dir"
  if grep -qsx "$spec sha256=$sha" "$dir/.done"; then echo "cached: $spec"; continue; fi
  rm -f "${name}"_*.deb
  apt-get download "$spec" >/dev/null 2>&1 || { echo "apt-get download $spec failed (not served any more? see the header)" >&2; exit 1; }
  deb=$(ls "${name}"_*.deb | head -n 1)
  actual=$(sha256sum "$deb" | cut -d' ' -f1)
  if [ "$actual" != "$sha" ]; then echo "$deb: sha256 $actual, pinned $sha" >&2; exit 1; fi
  dpkg -x "$deb" "$dir"
  rm -f "$deb"
  echo "$spec sha256=$sha" >> "$dir/.done"
  echo "fetched: $spec (sha256 $sha)"
done

if [ "$packages_only" = "--packages-only" ]; then echo "packages in $cache"; exit 0; fi

# Spoken words: every word of speech-words.txt in every voice of speech-voices.txt, 22,050 Hz 16-bit mono WAV from
# the pinned espeak-ng (deterministic: no sox, no dither). Redone when either list or the synthesiser changes.
root="$cache/deb_espeak-ng"
espeak() { LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu" "$root/usr/bin/espeak-ng" --path="$root/usr/lib/x86_64-linux-gnu" "$@"; }
out="$cache/speech-words"
stamp="$(cat "$here/speech-words.txt" "$here/speech-voices.txt" "$root/.done" | sha256sum | cut -d' ' -f1)"
if [ -f "$out/.done" ] && [ "$(cat "$out/.done")" = "$stamp" ]; then echo "cached: speech-words"; echo "sources in $cache"; exit 0; fi
rm -rf "$out"; mkdir -p "$out"
export -f espeak; export root out
grep -v '^#' "$here/speech-voices.txt" | while read -r id voice speed pitch; do
  mkdir -p "$out/$id"
  grep -v '^#' "$here/speech-words.txt" | xargs -P 2 -I{} bash -c \
    'espeak -v "$0" -s "$1" -p "$2" -w "$out/$3/{}.wav" "{}"' "$voice" "$speed" "$pitch" "$id"
  echo "synthesised: $id ($voice, $speed wpm, pitch $pitch)"
done
(cd "$out" && find . -name '*.wav' | LC_ALL=C sort | xargs sha256sum > SHA256SUMS)
echo "$stamp" > "$out/.done"
echo "speech-words: $(grep -c . "$out/SHA256SUMS") clips; sources in $cache"
