#!/usr/bin/env bash
# This file implements the PyTorch install the benchmarks share: Debian's python3-torch
# (1.13 on Debian 12), installed only if Debian's /usr/bin/python3 cannot import it (a
# pyenv python3 on the PATH never sees Debian's packages).
set -euo pipefail
if /usr/bin/python3 -c "import torch" 2>/dev/null; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install_torch: need root or sudo to install python3-torch" >&2; exit 1; }
  SUDO="sudo"
fi
echo "install_torch: installing python3-torch"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q python3-torch
