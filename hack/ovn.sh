#!/usr/bin/env bash
# A local OVN for development: hack/ovn.sh up [--data-plane|--no-data-plane] [--chassis=NAME]
# | down | purge | status | env   (run folder .local/ovn; `env` prints the variables that point
# ovn-nbctl, ovn-sbctl, ovs-vsctl and ovn-appctl at it: eval "$(hack/ovn.sh env)").
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$root/.local/node/bin:$PATH"
exec node "$root/hack/ovn/cli.ts" "$@"
