#!/usr/bin/env bash
# ThreadSanitizer run of the kube client (the informer among it), store and REST server tests:
# configures build-tsan with clang-14 (KFTENANT_SANITIZE=thread, Debug at -O1), builds only their
# three test binaries and runs them. The server tests that run the kftenant binary as a child
# process (ServeCommand.*) are left out: the CLI is not built here, and what they check (flags,
# the process's output) is covered by the in-process tests, which run the same HttpServer.
# Exits non-zero on the first data race or lock-order inversion (halt_on_error=1) or a failing
# test. clang-14 builds against Debian's libstdc++ here; the prebuilt libraries (libcurl,
# OpenSSL, GoogleTest, rapidcheck) are not instrumented, which TSan tolerates (their internals
# are not checked; their pthread calls are intercepted). scripts/tsan.supp lists suppressions,
# each with the reason.
# Usage: bash scripts/tsan.sh [extra gtest arguments, e.g. --gtest_filter='LongRunning.*']
set -euo pipefail
cd "$(dirname "$0")/.."
build="${KFTENANT_TSAN_BUILD:-build-tsan}"
start=$(date +%s)

CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" \
  -DKFTENANT_SANITIZE=thread -DKFTENANT_BENCH=OFF >/dev/null
cmake --build "$build" -j2 --target kftenant_kube_tests kftenant_store_tests kftenant_server_tests
built=$(date +%s)
echo "tsan: built in $((built - start)) s"

export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/scripts/tsan.supp ${TSAN_OPTIONS:-}"
status=0
for t in kftenant_kube_tests kftenant_store_tests kftenant_server_tests; do
  echo "tsan: $t"
  filter=()
  if [ "$t" = kftenant_server_tests ]; then filter=(--gtest_filter=-ServeCommand.*); fi
  if ! "$build/$t" --gtest_brief=1 "${filter[@]}" "$@"; then
    echo "tsan: $t FAILED (a race, a deadlock report or a failing test; see above)"
    status=1
  fi
done
# The server tests once more over the thread-per-connection server (as ctest's threads.* run them).
echo "tsan: kftenant_server_tests over the thread-per-connection server"
if ! KFTENANT_TEST_HTTP_SERVER=threads "$build/kftenant_server_tests" --gtest_brief=1 \
    --gtest_filter=-ServeCommand.*:EventLoopServer.* "$@"; then
  echo "tsan: kftenant_server_tests (thread per connection) FAILED (a race, a deadlock report or a failing test; see above)"
  status=1
fi
echo "tsan: ran in $(($(date +%s) - built)) s"
exit "$status"
