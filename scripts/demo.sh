#!/usr/bin/env bash
# The main job on the built-in default, no cluster needed: starts the project's test API server
# seeded like a fresh Kubeflow install (namespace auth, ConfigMap/Deployment dex, Profile CRD, the
# default Profile), then runs kftenant against it over HTTPS with a generated kubeconfig.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${BUILD_DIR:-build}"
work=$(mktemp -d)
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

"$build/kftenant-test-apiserver" --port 0 --seed-kubeflow --write-kubeconfig "$work/kubeconfig" \
  >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$work/server.log" 2>/dev/null && break
  sleep 0.1
done
echo "test API server: $(grep -m1 'listening on' "$work/server.log")"

echo "+ kftenant --kubeconfig $work/kubeconfig doctor"
"$build/kftenant" --kubeconfig "$work/kubeconfig" doctor
