# Shared by build.sh and build-node.sh (sourced, after `here` and `bin` are set): the release
# built, its version stamp, and whether a build can be skipped.

# The Kubernetes version comes from the wrapper's go.mod so there is one place to bump it.
# Sets k8s_version and k8s_ldflags (the release stamped into both version packages Kubernetes
# reads, so /version and `kubectl version` report it rather than v0.0.0-master).
k8s_release() {
  k8s_version="$(cd "$here" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
  if [[ ! "$k8s_version" =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]]; then
    echo "$(basename "$0"): cannot read the k8s.io/kubernetes version from $here/go.mod" >&2
    exit 1
  fi
  local major="${BASH_REMATCH[1]}" minor="${BASH_REMATCH[2]}" pkg
  local build_date
  build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  k8s_ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    k8s_ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    k8s_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
  done
}

# The hash of the Go toolchain's version and the given files (the wrapper modules, the build
# script and this file): a build is redone when it changes.
build_stamp() {
  { go version; cat "$@" "$here/lib.sh"; } | sha256sum | cut -d' ' -f1
}

# Whether every named binary is in $bin and the stamp file holds STAMP. `--force` as the
# script's first argument always builds.
up_to_date() {
  local stamp_file="$1" stamp="$2" force="$3" b
  shift 3
  [[ "$force" != "--force" ]] || return 1
  for b in "$@"; do [[ -x "$bin/$b" ]] || return 1; done
  [[ -f "$stamp_file" ]] && [[ "$(cat "$stamp_file")" == "$stamp" ]]
}
