#!/usr/bin/env bash
# The main job on the built-in default, no cluster needed.
#  1. GitOps mode: a copy of examples/manifests (a kustomize tree shaped like Kubeflow's Dex and
#     user-namespace parts) gets a new user, a quota and a contributor, edited in place; the
#     diff against the original shows that only the intended bytes changed.
#  2. Cluster mode: the project's test API server, seeded like a fresh Kubeflow install and
#     running simulated Deployment and profile controllers, gets the same user over HTTPS.
# Set DEMO_DIR to keep the edited tree.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${BUILD_DIR:-build}"
kftenant="$build/kftenant"
work=$(mktemp -d)
server_pid=""
trap '[ -n "$server_pid" ] && { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; }; rm -rf "$work"' EXIT
tree="${DEMO_DIR:-$work/manifests}"
rm -rf "$tree" && mkdir -p "$(dirname "$tree")" && cp -r examples/manifests "$tree"
run() { echo "+ $*" | sed "s|$work|\$WORK|g"; "$@"; }

echo "== 1. manifests folder (GitOps): $tree"
run "$kftenant" --manifests "$tree" user add alice@example.com --generate-password --bcrypt-cost 10 \
  --quota cpu=4,memory=16Gi,nvidia.com/gpu=1
run "$kftenant" --manifests "$tree" profile share alice --with bob@example.com --role view
run "$kftenant" --manifests "$tree" user list
echo "+ diff -ru examples/manifests <tree>"
diff -ru examples/manifests "$tree" | sed "s|$work|\$WORK|g" || true
if command -v kubectl >/dev/null; then
  echo "+ kubectl kustomize <tree> | grep -c '^kind:'"
  kubectl kustomize "$tree" 2>/dev/null | grep -c '^kind:'
fi

echo
echo "== 2. cluster (the project's test API server over HTTPS)"
"$build/kftenant-test-apiserver" --port 0 --seed-kubeflow --write-kubeconfig "$work/kubeconfig" \
  >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$work/server.log" 2>/dev/null && break
  sleep 0.1
done
echo "test API server: $(grep -m1 'listening on' "$work/server.log")"
run "$kftenant" --kubeconfig "$work/kubeconfig" doctor
echo "+ echo '<password>' | kftenant user add alice@example.com --password-stdin --quota cpu=4 --wait=30s"
echo "correct horse battery" | "$kftenant" --kubeconfig "$work/kubeconfig" user add alice@example.com \
  --password-stdin --quota cpu=4 --wait=30s
run "$kftenant" --kubeconfig "$work/kubeconfig" user list
