#!/usr/bin/env bash
# A single-host Ceph for RBD storage pools: hack/ceph.sh up | down | purge | status | env
# (run folder .local/ceph, or $KCLOUD_CEPH_DIR; one monitor, one manager and one BlueStore OSD
# on a sparse file, all on 127.0.0.1, stopped by PID; `env` prints CEPH_CONF and the admin
# keyring: eval "$(hack/ceph.sh env)" && ceph -s).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$root/.local/node/bin:$PATH"
exec node "$root/hack/ceph/cli.ts" "$@"
