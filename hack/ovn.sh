#!/usr/bin/env bash
# A local OVN for development: hack/ovn.sh up [--data-plane|--no-data-plane] [--chassis=NAME]
# | down | purge | status | env | guest add|del|list|exec   (run folder .local/ovn, or
# $KCLOUD_OVN_DIR; `env` prints the variables that point ovn-nbctl, ovn-sbctl, ovs-vsctl and
# ovn-appctl at it: eval "$(hack/ovn.sh env)"; `guest add <namespace>/<interface>` plugs a
# network namespace into the data plane as that NetworkInterface, `guest exec <namespace>/
# <interface> -- ping -c1 ADDRESS` runs a command in it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$root/.local/node/bin:$PATH"
exec node "$root/hack/ovn/cli.ts" "$@"
