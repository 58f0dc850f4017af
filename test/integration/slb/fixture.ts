// A private OVN (northbound database and northd, or the whole data plane) and a manager
// running the vpc and slb operators on the test's namespace, both stopped after the file.
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
import { addSlbOperator } from '../../../operators/slb/index.ts';
import { addVpcOperator } from '../../../operators/vpc/index.ts';
import {
  startManager,
  waitFor,
  type RunningManager,
  type TestCluster,
} from '../../harness/index.ts';

export const slbApi = 'slb.kcloud.io/v1alpha1';
export const vpcApi = 'vpc.kcloud.io/v1alpha1';
export const lbRef = (name: string) => ({ apiVersion: slbApi, kind: 'LoadBalancer', name });

export const doc = (apiVersion: string, kind: string, name: string, spec: object) =>
  `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: ${name}}\nspec: ${JSON.stringify(spec)}\n`;

export interface SlbFixture {
  layout(): OvnLayout;
  nb(args: string[]): Promise<string>;
}

export function useSlbOperator(
  cluster: TestCluster,
  options: UpOptions = { dataPlane: false },
  /** With the eip operator too, its gateway ports on these chassis. */
  eipGatewayChassis?: string[],
): SlbFixture {
  let layout: OvnLayout | undefined;
  let running: RunningManager | undefined;
  const current = () => {
    if (!layout) throw new Error('the OVN of this test has not started');
    return layout;
  };
  beforeAll(async () => {
    const base = path.join(repoRoot, '.local', 'test-runs');
    await mkdir(base, { recursive: true });
    layout = ovnLayout(await mkdtemp(path.join(base, 'ovn-slb-')));
    await up(layout, options);
    const conn = await connection(current());
    running = await startManager(
      (mgr) => {
        addVpcOperator(mgr, { nbEndpoints: [conn.nb.unix] });
        if (eipGatewayChassis) {
          addEipOperator(mgr, { nbEndpoints: [conn.nb.unix], gatewayChassis: eipGatewayChassis });
        }
        // Swept every 2 s: a test sees a force-deleted LoadBalancer's rows go.
        addSlbOperator(mgr, {
          nbEndpoints: [conn.nb.unix],
          sbEndpoints: [conn.sb.unix],
          resyncPeriodMs: 2_000,
        });
      },
      { namespace: cluster.namespace },
    );
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
  };
}

interface Status {
  vip?: string;
  eip?: string;
  conditions?: {
    type: string;
    status: string;
    reason?: string;
    message?: string;
    observedGeneration?: number;
  }[];
  listeners?: { name: string; members: number; healthyMembers: number }[];
  members?: { pool: string; target: string; address: string; health: string }[];
}

/** Waits until the LoadBalancer is Ready for its current generation; its status. */
export async function readyForGeneration(cluster: TestCluster, name: string): Promise<Status> {
  let last = '';
  return waitFor(
    async () => {
      const o = await cluster.read(lbRef(name));
      last = JSON.stringify(o.status ?? null);
      const status = o.status as Status | undefined;
      const ready = status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'True' && ready.observedGeneration === o.metadata?.generation
        ? status
        : undefined;
    },
    { what: `LoadBalancer ${name} Ready for its generation`, describe: () => last },
  );
}

/** Waits for Ready=False with `reason`; its message. */
export async function refusal(cluster: TestCluster, name: string, reason: string): Promise<string> {
  let last = '';
  return waitFor(
    async () => {
      const o = await cluster.read(lbRef(name));
      last = JSON.stringify(o.status ?? null);
      const ready = (o.status as Status | undefined)?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'False' && ready.reason === reason
        ? (ready.message ?? '')
        : undefined;
    },
    { what: `LoadBalancer ${name} Ready=False ${reason}`, describe: () => last },
  );
}
