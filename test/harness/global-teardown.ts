// Stops the control plane global-setup started, by the PIDs it recorded, and removes its run
// folder (KCLOUD_TEST_KEEP=1 keeps it, with the component logs, for a post-mortem).
import { down, runLayout } from '../../hack/cluster/index.ts';
import { envKeys } from './env.ts';

export default async function globalTeardown(): Promise<void> {
  const runDir = process.env[envKeys.runDir];
  if (!runDir) return;
  await down(runLayout(runDir), { purge: process.env.KCLOUD_TEST_KEEP !== '1' });
}
