#!/usr/bin/env bash
# Fails when an include points up the layer order (README "Layout"):
#   common → yaml → kube → store → plan → dex, kubeflow → tenancy → front ends (cli, ...)
# A file in src/<layer>/ or include/kftenant/<layer>/ may include its own layer and the layers
# before it; dex and kubeflow sit side by side and include neither each other. Top-level headers
# include/kftenant/*.h belong to common (yaml.h, yaml_edit.h to yaml). Includes are read in both
# spellings: "kftenant/<layer>/x.h" (public) and "<layer>/x.h" (private, from src/).
# Known exceptions are listed below with the issue that removes them; an exception that no
# longer happens fails too, so the list only shrinks.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A rank=([common]=0 [yaml]=1 [kube]=2 [store]=3 [plan]=4 [dex]=5 [kubeflow]=5 [tenancy]=6)
# "file -> included layer", each with the reason it is still there. None left.
exceptions=()

layer_of_header() {  # the layer of an included path, or "" when it is not one of ours
  local inc=$1
  case "$inc" in
    kftenant/yaml.h|kftenant/yaml_edit.h) echo yaml ;;
    kftenant/*/*) inc=${inc#kftenant/}; echo "${inc%%/*}" ;;
    kftenant/*) echo common ;;
    */*) local l=${inc%%/*}; [ -n "${rank[$l]+x}" ] && echo "$l" || echo "" ;;
    *) echo "" ;;
  esac
}

violations=()
while IFS= read -r file; do
  case "$file" in
    include/kftenant/*/*) rest=${file#include/kftenant/}; layer=${rest%%/*} ;;
    include/kftenant/yaml.h|include/kftenant/yaml_edit.h) layer=yaml ;;
    include/kftenant/*) layer=common ;;
    src/*) rest=${file#src/}; layer=${rest%%/*} ;;
  esac
  [ -n "${rank[$layer]+x}" ] || { echo "check-layers: $file is in no known layer ($layer)"; exit 1; }
  while IFS= read -r inc; do
    target=$(layer_of_header "$inc")
    [ -n "$target" ] || continue
    if (( rank[$target] > rank[$layer] )) ||
       { (( rank[$target] == rank[$layer] )) && [ "$target" != "$layer" ]; }; then
      violations+=("$file -> $target")
    fi
  done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$file")
done < <(git ls-files 'src/*.cc' 'src/*.h' 'include/kftenant/*.h')

status=0
declare -A seen=()
for v in "${violations[@]}"; do
  seen[$v]=1
  known=0
  for e in "${exceptions[@]}"; do [ "$v" = "$e" ] && known=1; done
  if (( known )); then
    echo "check-layers: known exception: $v"
  else
    echo "check-layers: $v points up the layer order"; status=1
  fi
done
for e in "${exceptions[@]}"; do
  if [ -z "${seen[$e]+x}" ]; then
    echo "check-layers: exception \"$e\" no longer happens: remove it from scripts/check-layers.sh"
    status=1
  fi
done
(( status == 0 )) && echo "check-layers: ok (${#violations[@]} known exception(s))"
exit $status
