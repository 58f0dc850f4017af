#!/usr/bin/env bash
# One real Kubernetes node added to the local control plane: hack/node.sh up | down | status
# (the same as `make cluster-node`, `make cluster-node-down`; `make setup` builds what it runs).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$root/.local/node/bin:$root/.local/bin:$PATH"
exec node "$root/hack/node/cli.ts" "$@"
