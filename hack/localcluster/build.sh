#!/usr/bin/env bash
# Builds the real control-plane binaries (kube-apiserver, kube-controller-manager, kubectl,
# etcd) from the Go modules pinned in this folder into .local/bin.
#
# A build is skipped when .local/bin/.localcluster.stamp matches the hash of the wrapper
# modules, this script and the Go toolchain version, so `make setup` is quick once built.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${KCLOUD_BIN_DIR:-$root/.local/bin}"
stamp_file="$bin/.localcluster.stamp"
binaries=(kube-apiserver kube-controller-manager kubectl etcd)

# shellcheck source=lib.sh
source "$here/lib.sh"
k8s_release
stamp="$(build_stamp "$here/go.mod" "$here/go.sum" "$here/etcd/go.mod" "$here/etcd/go.sum" "${BASH_SOURCE[0]}")"

if up_to_date "$stamp_file" "$stamp" "${1:-}" "${binaries[@]}"; then
  echo "control-plane binaries $k8s_version are up to date in $bin"
  exit 0
fi

mkdir -p "$bin"
rm -f "$stamp_file"

start=$(date +%s)
echo "building kube-apiserver, kube-controller-manager, kubectl $k8s_version (a cold build takes several minutes)"
# One `go build` for the three commands lets the toolchain share the compiled dependencies.
(cd "$here" && CGO_ENABLED=0 go build -trimpath -ldflags "$k8s_ldflags" -o "$bin/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kubectl)
mid=$(date +%s)
echo "kubernetes binaries built in $((mid - start)) s; building etcd"
(cd "$here/etcd" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3)
end=$(date +%s)
echo "etcd built in $((end - mid)) s; total $((end - start)) s"

echo "$stamp" >"$stamp_file"
