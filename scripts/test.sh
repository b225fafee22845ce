#!/usr/bin/env bash
# Set-up + all tests: installs what is missing (Debian packages), builds moesim with its tests
# (Release), and runs every test: unit, golden scenarios, CLI end-to-end, notebooks.
# Usage, as root on Debian 12: bash scripts/test.sh [--sanitize]
#   --sanitize  build in build-asan/ with AddressSanitizer + UndefinedBehaviorSanitizer instead
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install_deps.sh

if [ "${1:-}" = "--sanitize" ]; then
  build_dir=build-asan
  bash scripts/build.sh "$build_dir" Debug -DMOESIM_SANITIZE=ON -DMOESIM_WERROR=ON -DMOESIM_BUILD_BENCH=OFF
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  label_args=(-LE "slow|notebook")
else
  build_dir=build
  bash scripts/build.sh "$build_dir" Release -DMOESIM_WERROR=ON
  label_args=()
fi

jobs=$(nproc 2>/dev/null || echo 2)
ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" "${label_args[@]}"
