#!/usr/bin/env bash
# OVN 25.03 and Open vSwitch 3.5 from Debian trixie, unpacked into one root under .local/ that
# runs on this (bookworm) machine without touching its libc: every program there is started
# through the root's own loader (hack/ovn/tools.ts). apt runs with a private configuration of
# its own (sources, lists, cache, an empty dpkg status), never the machine's sources, and
# nothing is installed. A second run with the same package list does nothing.
#
# Usage: hack/ovn/trixie/fetch.sh   (KCLOUD_DEBIAN_MIRROR: another Debian mirror)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
base="$repo/.local/ovn-25.03"
root="$base/root"
manifest="$root/kcloud-manifest.txt"

mirror="${KCLOUD_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# Debian's trixie archive keys, as the machine's debian-archive-keyring package installs them.
keyring="${KCLOUD_TRIXIE_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}"

# The daemons and tools, and every shared library they load that bookworm's would not fit
# (trixie's libc first: the programs need its symbol versions).
packages=(
  ovn-central ovn-common ovn-host
  openvswitch-common openvswitch-switch
  libc6 libgcc-s1 libssl3t64 libcap-ng0 libcap2 libunbound8 libevent-2.1-7t64
  libbpf1 libelf1t64 libxdp1 libnuma1 libudev1 zlib1g libzstd1
)
wanted="mirror=$mirror packages=${packages[*]}"

if [[ -f "$manifest" ]] && [[ "$(head -n1 "$manifest")" == "# $wanted" ]]; then
  exit 0
fi

if [[ ! -r "$keyring" ]]; then
  echo "no Debian archive keyring at $keyring: install debian-archive-keyring (bookworm's has trixie's keys)" >&2
  exit 1
fi

apt_dir="$base/apt"
rm -rf "$apt_dir"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs" "$apt_dir/etc"
echo "deb [signed-by=$keyring] $mirror trixie main" >"$apt_dir/etc/sources.list"
apt_opts=(
  -o "Dir::Etc::sourcelist=$apt_dir/etc/sources.list"
  -o "Dir::Etc::sourceparts=-"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::Cache=$apt_dir/cache"
  -o "Dir::Cache::pkgcache=$apt_dir/cache/pkgcache.bin"
  -o "Dir::Cache::srcpkgcache=$apt_dir/cache/srcpkgcache.bin"
  -o "Dir::State::status=/dev/null"
  -o "APT::Architecture=amd64"
  -o "APT::Architectures=amd64"
  -o "Debug::NoLocking=1"
)
# apt's download user cannot write into a folder root owns under the repository.
[[ "$(id -u)" -ne 0 ]] || apt_opts+=(-o "APT::Sandbox::User=root")

echo "downloading OVN 25.03 and Open vSwitch 3.5 from Debian trixie ($mirror) into $base"
apt-get "${apt_opts[@]}" -qq update
(cd "$apt_dir/debs" && apt-get "${apt_opts[@]}" -qq download "${packages[@]}")

staging="$base/root.new"
rm -rf "$staging"
mkdir -p "$staging"
for deb in "$apt_dir"/debs/*.deb; do
  dpkg-deb -x "$deb" "$staging"
done
# The daemons' own folders are given on their command lines (hack/ovn/env.ts); what the
# packages ship in etc/ and var/ is never read.
loader="$staging/usr/lib64/ld-linux-x86-64.so.2"
if [[ ! -e "$loader" ]]; then
  echo "the unpacked root has no loader at usr/lib64/ld-linux-x86-64.so.2" >&2
  exit 1
fi
{
  echo "# $wanted"
  for deb in "$apt_dir"/debs/*.deb; do
    dpkg-deb -f "$deb" Package Version | paste -sd' ' | sed 's/^Package: //; s/ Version: / /'
  done
} >"$staging/kcloud-manifest.txt"
rm -rf "$root"
mv "$staging" "$root"
rm -rf "$apt_dir"
echo "unpacked into $root:"
tail -n +2 "$manifest"
