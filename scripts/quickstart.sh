#!/usr/bin/env bash
# The README's main job: install what is missing, build, create a machine on the embedded local store if this
# home has none, and mount the `default` namespace at MOUNTPOINT (default: ~/tgcryptfs) in the background.
# The password comes from TGCRYPTFS_PASSWORD, or is asked for on the terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
mountpoint="${1:-$HOME/tgcryptfs}"
bash scripts/install-system-deps.sh
[ -d node_modules/fuse-native ] || npm ci --no-audit --no-fund --silent
[ -f dist/src/cli/main.js ] || npm run --silent build
home="${TGCRYPTFS_HOME:-$HOME/.tgcryptfs}"
if [ ! -f "$home/config.yaml" ]; then
  bin/tgcryptfs machine init --name "$(hostname)"
fi
mkdir -p "$mountpoint"
bin/tgcryptfs mount --daemon "$mountpoint"
echo "use it like any directory; stop with: $(pwd)/bin/tgcryptfs unmount $mountpoint"
