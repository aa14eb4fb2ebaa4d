#!/usr/bin/env bash
# Prepares the real-apiserver test tier's binaries ("envtest assets") in BUILD_DIR/envtest-assets:
# kube-apiserver and kube-controller-manager unpacked from an envtest folder (xz files +
# SHA256SUMS, e.g. ../shared/envtest) and checked, plus Debian's etcd (package etcd-server).
# The tests find that folder by themselves; or export KUBEBUILDER_ASSETS=BUILD_DIR/envtest-assets.
#
#   bash scripts/envtest-assets.sh [BUILD_DIR]      (default: build)
#
# The envtest folder: $KFTENANT_ENVTEST_DIR, else ../shared/envtest next to the repository, else
# /work/shared/envtest. Without one (and without kube-apiserver on PATH) this says so and exits 0:
# the tier is then skipped with one line saying how to enable it. Elsewhere, controller-runtime's
# `setup-envtest use 1.26 -p path` prints a folder with the same binaries.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-build}"
case "$build" in /*) ;; *) build="$repo/$build" ;; esac
out="$build/envtest-assets"

src=""
for d in "${KFTENANT_ENVTEST_DIR:-}" "$repo/../shared/envtest" /work/shared/envtest; do
  if [ -n "$d" ] && [ -f "$d/kube-apiserver.xz" ]; then src="$d"; break; fi
done
if [ -z "$src" ]; then
  echo "envtest-assets: no envtest folder (kube-apiserver.xz) found; the real-apiserver tier will be skipped"
  exit 0
fi

mkdir -p "$out"
for bin in kube-apiserver kube-controller-manager; do
  want="$(awk -v f="$bin" '$2 == f {print $1}' "$src/SHA256SUMS")"
  if [ -x "$out/$bin" ] && [ "$(sha256sum "$out/$bin" | cut -d' ' -f1)" = "$want" ]; then continue; fi
  xz -dc "$src/$bin.xz" > "$out/$bin.tmp"
  got="$(sha256sum "$out/$bin.tmp" | cut -d' ' -f1)"
  if [ -z "$want" ] || [ "$got" != "$want" ]; then
    rm -f "$out/$bin.tmp"
    echo "envtest-assets: $bin from $src has SHA-256 $got, SHA256SUMS says '${want}': refusing it" >&2
    exit 1
  fi
  chmod 0755 "$out/$bin.tmp"
  mv "$out/$bin.tmp" "$out/$bin"
done
etcd="$(command -v etcd || true)"
if [ -z "$etcd" ]; then
  echo "envtest-assets: no etcd on PATH: install Debian's etcd-server (scripts/install-deps.sh does)" >&2
  exit 1
fi
ln -sf "$etcd" "$out/etcd"
echo "envtest-assets: $out ready (kube-apiserver $("$out/kube-apiserver" --version 2>/dev/null | awk '{print $2}'), $("$etcd" --version 2>/dev/null | head -1))"
