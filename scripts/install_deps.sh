#!/usr/bin/env bash
# Installs, from Debian 12's own packages, whatever moesim needs that is missing.
# Safe to run again: packages already present are skipped, and apt-get is not called at all then.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libsimgrid-dev libeigen3-dev libboost-graph-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev
  openmpi-bin libopenmpi-dev
  python3 python3-matplotlib python3-pandas python3-nbformat
  jupyter-nbconvert python3-ipykernel
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "moesim: all build dependencies are already installed"
  exit 0
fi

echo "moesim: installing ${#missing[@]} missing package(s): ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "moesim: installing packages needs root (run this script as root, or with sudo)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
