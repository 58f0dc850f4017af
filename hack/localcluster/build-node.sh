#!/usr/bin/env bash
# Builds what a local node runs and what installs into it, into .local/bin:
#   kubelet, kube-scheduler, kube-proxy  from the control plane's wrapper module (same release,
#                                        same version stamping as build.sh);
#   coredns                              from coredns/ (github.com/coredns/coredns);
#   kube-router                          from kube-router/ (its network policy controller
#                                        enforces NetworkPolicies on the bridge CNI);
#   helm                                 from helm/ (helm.sh/helm/v4).
#
# A build is skipped when .local/bin/.localnode.stamp matches the hash of the wrapper modules,
# this script and the Go toolchain version.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${KCLOUD_BIN_DIR:-$root/.local/bin}"
stamp_file="$bin/.localnode.stamp"
binaries=(kubelet kube-scheduler kube-proxy coredns kube-router helm)

# shellcheck source=lib.sh
source "$here/lib.sh"
k8s_release
stamp="$(build_stamp "$here/go.mod" "$here/go.sum" "${BASH_SOURCE[0]}" \
  "$here/coredns/go.mod" "$here/coredns/go.sum" "$here/helm/go.mod" "$here/helm/go.sum" \
  "$here/kube-router/go.mod" "$here/kube-router/go.sum")"

if up_to_date "$stamp_file" "$stamp" "${1:-}" "${binaries[@]}"; then
  echo "node binaries $k8s_version are up to date in $bin"
  exit 0
fi

mkdir -p "$bin"
rm -f "$stamp_file"

# The node commands need a few modules the control plane's do not (netlink, knftables, ipvs),
# whose checksums go.sum lacks. Rather than change go.mod and go.sum, which build.sh hashes
# (a change there rebuilds the control plane), build from a copy of go.mod with these commands
# as its tools: the same requirements and replaces, so the same versions of everything, and a
# go.sum of its own beside it that the build completes and the checksum database verifies.
work="$root/.local/build/node"
mkdir -p "$work"
{
  sed '/^tool (/,/^)/d' "$here/go.mod"
  printf 'tool (\n\tk8s.io/kubernetes/cmd/kubelet\n\tk8s.io/kubernetes/cmd/kube-scheduler\n\tk8s.io/kubernetes/cmd/kube-proxy\n)\n'
} >"$work/node.mod"
cp "$here/go.sum" "$work/node.sum"

start=$(date +%s)
echo "building kubelet, kube-scheduler, kube-proxy $k8s_version"
(cd "$here" && CGO_ENABLED=0 go build -mod=mod -modfile="$work/node.mod" -trimpath -ldflags "$k8s_ldflags" -o "$bin/" \
  k8s.io/kubernetes/cmd/kubelet \
  k8s.io/kubernetes/cmd/kube-scheduler \
  k8s.io/kubernetes/cmd/kube-proxy)
t1=$(date +%s)
echo "kubernetes node binaries built in $((t1 - start)) s; building coredns"
(cd "$here/coredns" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin/coredns" github.com/coredns/coredns)
t2=$(date +%s)
echo "coredns built in $((t2 - t1)) s; building kube-router"
(cd "$here/kube-router" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin/kube-router" \
  github.com/cloudnativelabs/kube-router/v2/cmd/kube-router)
t3=$(date +%s)
echo "kube-router built in $((t3 - t2)) s; building helm"
# Stamped like Helm's own release builds, so `helm version` names the release built here.
helm_version="$(cd "$here/helm" && go list -m -f '{{.Version}}' helm.sh/helm/v4)"
(cd "$here/helm" && CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$helm_version -X helm.sh/helm/v4/internal/version.gitTreeState=clean" \
  -o "$bin/helm" helm.sh/helm/v4/cmd/helm)
end=$(date +%s)
echo "helm built in $((end - t3)) s; total $((end - start)) s"

echo "$stamp" >"$stamp_file"
