// Starts one real control plane (etcd, kube-apiserver, kube-controller-manager) and one Ceph
// cluster (monitor, manager, one OSD) for the whole integration run, side by side, or reuses
// the cluster named by KCLOUD_TEST_KUBECONFIG and the Ceph run folder named by
// KCLOUD_TEST_CEPH_DIR, and applies crds/. A component that cannot start fails the run with
// its reason: no test is skipped for want of it.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { cephDown, cephLayout, cephUp } from '../../hack/ceph/index.ts';
import { down, repoRoot, runLayout, up } from '../../hack/cluster/index.ts';
import { applyCrdsFromDir } from './crds.ts';
import { envKeys } from './env.ts';

const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

/** The run's control plane with the CRDs applied; its kubeconfig. */
async function prepareControlPlane(runId: string): Promise<string> {
  const kubeconfig = await startControlPlane(runId);
  // Product CRDs, and the test-only kinds the runtime's own tests reconcile.
  await applyCrdsFromDir(kubeconfig, path.join(repoRoot, 'crds'));
  await applyCrdsFromDir(kubeconfig, path.join(repoRoot, 'test', 'crds'));
  return kubeconfig;
}

async function startControlPlane(runId: string): Promise<string> {
  const kubeconfig = process.env.KCLOUD_TEST_KUBECONFIG;
  if (kubeconfig) {
    console.log(`\nintegration tests use the existing cluster in ${kubeconfig}`);
    return kubeconfig;
  }
  const runDir = path.join(repoRoot, '.local', 'test-runs', runId);
  await mkdir(runDir, { recursive: true });
  const started = Date.now();
  // Recorded first, so a failure of the other start can stop this one.
  process.env[envKeys.runDir] = runDir;
  // Throwaway data: skipping fsync keeps etcd from dominating test time on slow disks.
  const info = await up(runLayout(runDir), { unsafeNoFsync: true });
  console.log(`\ncontrol plane up in ${seconds(started)} s (${runDir})`);
  return info.kubeconfig;
}

/** The run's Ceph: a cluster of its own, or the one in KCLOUD_TEST_CEPH_DIR (never stopped). */
async function startCeph(runId: string): Promise<void> {
  const given = process.env.KCLOUD_TEST_CEPH_DIR;
  const dir = given ?? path.join(repoRoot, '.local', 'test-runs', `${runId}-ceph`);
  if (!given) process.env[envKeys.cephRunDir] = dir;
  const started = Date.now();
  try {
    await cephUp(cephLayout(dir));
  } catch (err) {
    throw new Error(
      `Ceph for the integration tests did not start in ${dir}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  console.log(`\nCeph up in ${seconds(started)} s (${dir})`);
  process.env[envKeys.cephDir] = dir;
}

export default async function globalSetup(): Promise<void> {
  const runId = `${String(process.pid)}-${String(Date.now())}`;
  // Side by side: Ceph's start (the OSD's mkfs and boot, the manager loading its modules)
  // costs the run only what it takes beyond the control plane's.
  const [control, ceph] = await Promise.allSettled([prepareControlPlane(runId), startCeph(runId)]);
  if (control.status === 'rejected' || ceph.status === 'rejected') {
    // Jest runs no global teardown when global setup fails: stop here what did start (and
    // keep its logs with KCLOUD_TEST_KEEP=1).
    const purge = process.env.KCLOUD_TEST_KEEP !== '1';
    const cephRunDir = process.env[envKeys.cephRunDir];
    if (cephRunDir) await cephDown(cephLayout(cephRunDir), { purge });
    const runDir = process.env[envKeys.runDir];
    if (runDir) await down(runLayout(runDir), { purge });
    const reasons = [control, ceph].flatMap((r) =>
      r.status === 'rejected' ? [(r.reason as Error).message] : [],
    );
    throw new Error(reasons.join('\n'));
  }
  // Test workers start after this returns and inherit the environment.
  process.env[envKeys.kubeconfig] = control.value;
}
