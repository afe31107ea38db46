#!/usr/bin/env bash
# Rebuilds the embedded audio data (tasks/data/audio): every word of audio-words.txt in every voice of
# audio-voices.txt, synthesised by the pinned Debian espeak-ng (fetch-media.sh) as 22,050 Hz 16-bit WAV (no sox, so no
# dither: byte-identical across runs), then packed by `build-audio-data` (resampled to 16 kHz, trimmed, 8-bit mu-law,
# concatenated into one WAV with a JSON index and a manifest). Maintainers only; `make audio-data` runs it.
# Usage: tasks/data/sources/make-audio-data.sh [CACHE_DIR] [OUT_DIR]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
cache="${1:-$repo/.cache/sources}"
out="${2:-$repo/tasks/data/audio}"
"$here/fetch-media.sh" "$cache" --packages-only
root="$cache/deb_espeak-ng"
espeak() { LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu" "$root/usr/bin/espeak-ng" --path="$root/usr/lib/x86_64-linux-gnu" "$@"; }
words="$cache/audio-words"
rm -rf "$words"; mkdir -p "$words"
grep -v '^#' "$here/audio-voices.txt" | while read -r id voice speed pitch split; do
  mkdir -p "$words/$id"
  grep -v '^#' "$here/audio-words.txt" | while read -r word; do
    espeak -v "$voice" -s "$speed" -p "$pitch" -w "$words/$id/$word.wav" "$word"
  done
  echo "synthesised: $id ($voice, $speed wpm, pitch $pitch, $split)"
done
cd "$repo"
OMP_WAIT_POLICY=PASSIVE dotnet run --project harness -c Release -- build-audio-data --words "$words" --packages "$root/.done" --out "$out"
