#!/usr/bin/env bash
# The local control plane: hack/cluster.sh up [--unsafe-no-fsync] | down | purge | status
# (the same as `make up`, `make down`, `make status`; `make setup` builds what it runs).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$root/.local/node/bin:$PATH"
exec node "$root/hack/cluster/cli.ts" "$@"
