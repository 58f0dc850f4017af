import { monAddrVec, type MonPorts } from './config.ts';
import type { CephLayout } from './layout.ts';

/**
 * What `hack/ceph.sh env` exports. CEPH_CONF is read by the ceph and rbd CLIs and librados
 * (QEMU's rbd driver among them); ceph.conf names the admin keyring, so `ceph -s` needs
 * nothing else. The others are for scripts: the admin keyring, the monitor address, and the
 * run folder for a later `hack/ceph.sh` in the same shell.
 */
export function cephEnvVars(layout: CephLayout, ports: MonPorts): Record<string, string> {
  return {
    CEPH_CONF: layout.conf,
    CEPH_KEYRING: layout.adminKeyring,
    CEPH_MON_HOST: monAddrVec(ports),
    KCLOUD_CEPH_DIR: layout.runDir,
  };
}
