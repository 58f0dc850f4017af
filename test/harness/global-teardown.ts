// Stops the control plane and the Ceph cluster global-setup started, by the PIDs they
// recorded, and removes their run folders (KCLOUD_TEST_KEEP=1 keeps them, with the component
// logs, for a post-mortem). A Ceph the run reused (KCLOUD_TEST_CEPH_DIR) keeps running.
import { cephDown, cephLayout } from '../../hack/ceph/index.ts';
import { down, runLayout } from '../../hack/cluster/index.ts';
import { envKeys } from './env.ts';

export default async function globalTeardown(): Promise<void> {
  const purge = process.env.KCLOUD_TEST_KEEP !== '1';
  const cephRunDir = process.env[envKeys.cephRunDir];
  if (cephRunDir) await cephDown(cephLayout(cephRunDir), { purge });
  const runDir = process.env[envKeys.runDir];
  if (runDir) await down(runLayout(runDir), { purge });
}
