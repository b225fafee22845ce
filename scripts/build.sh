#!/usr/bin/env bash
# Configures and builds moesim. Usage: scripts/build.sh BUILD_DIR BUILD_TYPE [extra cmake -D flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
build_type=${2:-Release}
shift $(( $# >= 2 ? 2 : $# ))
jobs=$(nproc 2>/dev/null || echo 2)

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" "$@" >"$build_dir.configure.log" 2>&1 || {
  cat "$build_dir.configure.log" >&2
  echo "moesim: cmake configure failed (log above)" >&2
  exit 1
}
cmake --build "$build_dir" -j "$jobs"
