#!/usr/bin/env bash
# Set-up + main job: installs what is missing (Debian packages), builds moesim (Release), and runs
# the main job on the embedded default scenario. Usage, as root on Debian 12: bash scripts/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install_deps.sh
bash scripts/build.sh build Release -DMOESIM_BUILD_TESTS=OFF -DMOESIM_BUILD_BENCH=OFF

echo
# The main job: plan DeepSeek-V3 serving at the published load and SLO across the GPU catalog.
./build/cli/moesim plan
