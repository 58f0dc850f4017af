// Starts one real control plane (etcd, kube-apiserver, kube-controller-manager) for the whole
// integration run, or reuses the cluster named by KCLOUD_TEST_KUBECONFIG, and applies crds/.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot, runLayout, up } from '../../hack/cluster/index.ts';
import { applyCrdsFromDir } from './crds.ts';
import { envKeys } from './env.ts';

export default async function globalSetup(): Promise<void> {
  let kubeconfig = process.env.KCLOUD_TEST_KUBECONFIG;
  if (kubeconfig) {
    console.log(`\nintegration tests use the existing cluster in ${kubeconfig}`);
  } else {
    const runDir = path.join(repoRoot, '.local', 'test-runs', `${process.pid}-${Date.now()}`);
    await mkdir(runDir, { recursive: true });
    const started = Date.now();
    // Throwaway data: skipping fsync keeps etcd from dominating test time on slow disks.
    const info = await up(runLayout(runDir), { unsafeNoFsync: true });
    console.log(
      `\ncontrol plane up in ${((Date.now() - started) / 1000).toFixed(1)} s (${runDir})`,
    );
    kubeconfig = info.kubeconfig;
    process.env[envKeys.runDir] = runDir;
  }
  // Test workers start after this returns and inherit the environment.
  process.env[envKeys.kubeconfig] = kubeconfig;
  // Product CRDs, and the test-only kinds the runtime's own tests reconcile.
  await applyCrdsFromDir(kubeconfig, path.join(repoRoot, 'crds'));
  await applyCrdsFromDir(kubeconfig, path.join(repoRoot, 'test', 'crds'));
}
