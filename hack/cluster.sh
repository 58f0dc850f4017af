#!/usr/bin/env bash
# The local control plane: hack/cluster.sh up [--unsafe-no-fsync] | down | purge | status
# (the same as `make up`, `make down`, `make status`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
make -s build >/dev/null
export PATH="$root/.local/node/bin:$PATH"
exec node dist/hack/cluster/cli.js "$@"
