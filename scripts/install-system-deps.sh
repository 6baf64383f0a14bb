#!/usr/bin/env bash
# Installs what tgcryptfs needs from Debian when missing: libfuse2 (fuse-native links it) and
# fuse3 (provides the fusermount that fuse-native calls). Not Debian's `fuse`: it conflicts with fuse3. The
# mount tests also run rsync (hard-link round trips).
set -euo pipefail
missing=()
ldconfig -p | grep -q 'libfuse.so.2' || missing+=(libfuse2)
command -v fusermount >/dev/null 2>&1 || missing+=(fuse3)
command -v rsync >/dev/null 2>&1 || missing+=(rsync)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
