#!/usr/bin/env bash
# Installs everything kcloud needs on a fresh Debian machine. Idempotent and quick the second
# time: apt runs only when a package is missing, npm ci only when package-lock.json changed,
# the Go builds only when the wrapper modules changed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# Debian packages: the control plane needs openssl; the data plane needs QEMU, OVN and Open
# vSwitch, and the network tooling the tests drive (util-linux: unshare/nsenter for the
# network namespace ovs-vswitchd runs in).
apt_packages=(
  openssl ca-certificates
  qemu-system-x86 qemu-utils
  ovn-central ovn-host openvswitch-switch
  iproute2 ethtool iputils-ping cpio
  util-linux busybox
  # The local node (hack/node): its container runtime, CNI plugins and packet-filter tools
  # (ipset and iptables for kube-router's network policy controller).
  containerd runc containernetworking-plugins iptables nftables ipset
  # Lua 5.1, the language of the Argo CD health check the tests run (Argo CD embeds gopher-lua).
  lua5.1
  # A single-host Ceph (hack/ceph) for RBD storage pools: monitor, manager, OSD, the ceph and
  # rbd CLIs, and QEMU's rbd block driver.
  ceph-mon ceph-mgr ceph-osd ceph-common qemu-block-extra
  # mtools: the agent writes each instance's NoCloud seed (a FAT image) with mformat and mcopy.
  mtools
)

missing=()
for p in "${apt_packages[@]}"; do
  if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]]; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "installing Debian packages: ${missing[*]}"
  sudo=""
  [[ "$(id -u)" -eq 0 ]] || sudo="sudo"
  # Package scripts would start the distribution's own OVS/OVN/Ceph services; kcloud runs its
  # own instances under its run folders, so tell invoke-rc.d not to start anything during install.
  policy=/usr/sbin/policy-rc.d
  own_policy=""
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
    own_policy=1
  fi
  trap '[[ -n "$own_policy" ]] && $sudo rm -f "$policy"' EXIT
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

bash hack/setup-node.sh
export PATH="$root/.local/node/bin:$PATH"

# npm ci only when the lock file changed since the last install.
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ ! -f node_modules/.kcloud-lock-hash ]] || [[ "$(cat node_modules/.kcloud-lock-hash)" != "$lock_hash" ]]; then
  echo "installing npm packages (npm ci)"
  npm ci --no-fund --no-audit --loglevel=error
  echo "$lock_hash" >node_modules/.kcloud-lock-hash
fi

bash hack/localcluster/build.sh
# The local node's binaries (kubelet, kube-scheduler, kube-proxy, CoreDNS, helm): a stamp of
# their own, so neither build redoes the other.
bash hack/localcluster/build-node.sh
# The probe guest the agent boots to learn whether this host's KVM works (.local/guest).
bash hack/guest.sh build
# OVN 25.03 and Open vSwitch 3.5 from Debian trixie, the OVN every target runs: unpacked under
# .local/ovn-25.03, never installed. KCLOUD_OVN=host runs the machine's (bookworm's 23.03) instead.
case "${KCLOUD_OVN:-}" in
  "" | 25.03) node hack/ovn/trixie/fetch.ts ;;
  host | 23.03) ;;
  *)
    echo "KCLOUD_OVN=$KCLOUD_OVN is not a supported OVN: leave it unset for 25.03, or set host for the machine's" >&2
    exit 1
    ;;
esac
