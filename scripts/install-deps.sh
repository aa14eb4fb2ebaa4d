#!/usr/bin/env bash
# Installs every Debian package the build, the tests, the fuzzers and the benchmarks need.
# Idempotent; run as root (CI is root) or through sudo.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PKGS=(
  build-essential cmake ninja-build pkg-config git
  clang-14 libclang-rt-14-dev clang-format
  libcurl4-openssl-dev libssl-dev openssl
  libcpp-httplib-dev libboost1.81-dev nlohmann-json3-dev libyaml-dev prometheus-cpp-dev
  libcli11-dev libfmt-dev libexpected-dev libcrypt-dev libcsv-dev
  libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev
  python3 python3-bcrypt
  etcd-server xz-utils
  wrk curl
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# kubectl, for `kubectl kustomize DIR` in the tests. Debian's kubernetes-client (kubectl 1.20,
# kustomize v2.0.3 inside) only when no kubectl is on PATH: a machine may already have a newer
# one from another package (e.g. `kubectl`), which owns /usr/bin/kubectl too, so the two
# cannot be installed together.
if ! command -v kubectl >/dev/null 2>&1; then
  dpkg-query -W -f='${Status}' kubernetes-client 2>/dev/null | grep -q "install ok installed" ||
    missing+=(kubernetes-client)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all packages present"
fi
