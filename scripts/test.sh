#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what it needs, builds, lints, runs every suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
npm ci --no-audit --no-fund
npm run build
npm run lint
# argon2 0.45.1's prebuilt binary crashes Node 20 on load; we build it from source. Prove it loads.
node -e "require('argon2'); require('classic-level'); require('fuse-native')"
node --test --test-concurrency=1 dist/test/unit dist/test/int dist/test/mount
