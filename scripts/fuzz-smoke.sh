#!/usr/bin/env bash
# Builds every fuzz/*.cc target with clang-14 (libFuzzer + ASan + UBSan) and runs each for N seconds
# (default 30) on a scratch copy of its seed corpus. Exits non-zero on the first crash.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-30}"
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKFTENANT_FUZZ=ON >/dev/null
cmake --build build-fuzz -j2
for src in fuzz/*.cc; do
  [ -e "$src" ] || continue
  name=$(basename "$src" .cc)
  corpus_name=${name#fuzz_}
  work=$(mktemp -d)
  if [ -d "fuzz/corpus/$corpus_name" ]; then cp -r "fuzz/corpus/$corpus_name/." "$work/"; fi
  echo "fuzz: $name for ${secs}s"
  ./build-fuzz/"$name" -max_total_time="$secs" -print_final_stats=0 "$work" 2>&1 | tail -n 3
  rm -rf "$work"
done
