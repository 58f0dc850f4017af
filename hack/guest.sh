#!/usr/bin/env bash
# Guests for development and tests: hack/guest.sh build | path. `build` fetches Debian
# bookworm's stock kernel package and builds the probe initramfs and the demo guest's disk
# (demo-guest.qcow2, see docs/guest.md) into .local/guest (or $KCLOUD_GUEST_DIR), remaking
# only what changed; `path` prints that folder.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$root/.local/node/bin:$PATH"
exec node "$root/hack/guest/cli.ts" "$@"
