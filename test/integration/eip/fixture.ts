import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';
import { repoRoot } from '../../../hack/cluster/index.ts';
import {
  connection,
  down,
  nbctl,
  ovnLayout,
  up,
  type OvnLayout,
  type UpOptions,
} from '../../../hack/ovn/index.ts';
import { addEipOperator } from '../../../operators/eip/index.ts';
import { addVpcOperator } from '../../../operators/vpc/index.ts';
import { startManager, type RunningManager, type TestCluster } from '../../harness/index.ts';

export const eipApi = 'eip.kcloud.io/v1alpha1';
export const vpcApi = 'vpc.kcloud.io/v1alpha1';

export const eipRef = (name: string) => ({ apiVersion: eipApi, kind: 'EIP', name });
export const nicRef = (name: string) => ({
  apiVersion: vpcApi,
  kind: 'NetworkInterface',
  name,
});

/** One YAML document: `group` eip or vpc; a pool is cluster-scoped. */
export const doc = (apiVersion: string, kind: string, name: string, spec: object) =>
  `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: ${name}}\nspec: ${JSON.stringify(spec)}\n`;

export interface EipFixture {
  layout(): OvnLayout;
  nb(args: string[]): Promise<string>;
  /** Stops the manager and starts a new one on the same OVN (a restart). */
  restart(): Promise<void>;
}

/**
 * A private OVN and a manager running the vpc and eip operators on the test's namespace, both
 * stopped after the file.
 */
export function useEipOperator(
  cluster: TestCluster,
  options: UpOptions = { dataPlane: false },
  /** Where gateway ports run: the data plane's chassis, or any name without one. */
  gatewayChassis: string[] = ['gw-1'],
  /** How often the vpc operator compares with OVN and sweeps orphans; its default if left out. */
  vpcResyncPeriodMs?: number,
): EipFixture {
  let layout: OvnLayout | undefined;
  let running: RunningManager | undefined;
  const current = () => {
    if (!layout) throw new Error('the OVN of this test has not started');
    return layout;
  };
  const start = async () => {
    const conn = await connection(current());
    running = await startManager(
      (mgr) => {
        addVpcOperator(mgr, {
          nbEndpoints: [conn.nb.unix],
          ...(vpcResyncPeriodMs !== undefined ? { resyncPeriodMs: vpcResyncPeriodMs } : {}),
        });
        // Swept every 2 s: a test sees a force-deleted EIP's rows go.
        addEipOperator(mgr, { nbEndpoints: [conn.nb.unix], gatewayChassis, resyncPeriodMs: 2_000 });
      },
      { namespace: cluster.namespace },
    );
  };
  beforeAll(async () => {
    const base = path.join(repoRoot, '.local', 'test-runs');
    await mkdir(base, { recursive: true });
    layout = ovnLayout(await mkdtemp(path.join(base, 'ovn-eip-')));
    await up(layout, options);
    await start();
  });
  afterAll(async () => {
    await running?.stop();
    if (layout) {
      await down(layout, { purge: true });
      await rm(layout.runDir, { recursive: true, force: true });
    }
  });
  return {
    layout: current,
    nb: async (args) => {
      const r = await nbctl(current(), args);
      if (r.code !== 0) throw new Error(`ovn-nbctl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    },
    restart: async () => {
      await running?.stop();
      running = undefined;
      await start();
    },
  };
}
