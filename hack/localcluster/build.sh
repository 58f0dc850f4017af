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

# The Kubernetes version comes from the wrapper's go.mod so there is one place to bump it.
k8s_version="$(cd "$here" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
if [[ ! "$k8s_version" =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]]; then
  echo "build.sh: cannot read the k8s.io/kubernetes version from $here/go.mod" >&2
  exit 1
fi
major="${BASH_REMATCH[1]}"
minor="${BASH_REMATCH[2]}"

stamp="$(
  {
    go version
    cat "$here/go.mod" "$here/go.sum" "$here/etcd/go.mod" "$here/etcd/go.sum" "${BASH_SOURCE[0]}"
  } | sha256sum | cut -d' ' -f1
)"

all_present() {
  local b
  for b in "${binaries[@]}"; do [[ -x "$bin/$b" ]] || return 1; done
}

if [[ "${1:-}" != "--force" ]] && all_present && [[ -f "$stamp_file" ]] && [[ "$(cat "$stamp_file")" == "$stamp" ]]; then
  echo "control-plane binaries $k8s_version are up to date in $bin"
  exit 0
fi

mkdir -p "$bin"
rm -f "$stamp_file"

# Stamp the release into both version packages Kubernetes reads, so /version on the server and
# `kubectl version` report the version built here rather than v0.0.0-master.
build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done

start=$(date +%s)
echo "building kube-apiserver, kube-controller-manager, kubectl $k8s_version (a cold build takes several minutes)"
# One `go build` for the three commands lets the toolchain share the compiled dependencies.
(cd "$here" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kubectl)
mid=$(date +%s)
echo "kubernetes binaries built in $((mid - start)) s; building etcd"
(cd "$here/etcd" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3)
end=$(date +%s)
echo "etcd built in $((end - mid)) s; total $((end - start)) s"

echo "$stamp" >"$stamp_file"
