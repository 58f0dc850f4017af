// A private OVN (northbound database and northd, or the whole data plane) and a manager
// running the vpc and slb operators on the test's namespace, both stopped after the file.
import { startGuest, type Guest, type UpOptions } from '../../../hack/ovn/index.ts';
import { addEipOperator } from '../../../operators/eip/index.ts';
import { addSlbOperator } from '../../../operators/slb/index.ts';
import { addVpcOperator } from '../../../operators/vpc/index.ts';
import { waitFor, type TestCluster } from '../../harness/index.ts';
import { usePrivateOvn, type PrivateOvn } from '../../harness/private-ovn.ts';

export const slbApi = 'slb.kcloud.io/v1alpha1';
export const vpcApi = 'vpc.kcloud.io/v1alpha1';
export const lbRef = (name: string) => ({ apiVersion: slbApi, kind: 'LoadBalancer', name });

export const doc = (apiVersion: string, kind: string, name: string, spec: object) =>
  `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: ${name}}\nspec: ${JSON.stringify(spec)}\n`;

export type SlbFixture = Pick<PrivateOvn, 'layout' | 'nb' | 'restart'>;

export function useSlbOperator(
  cluster: TestCluster,
  options: UpOptions = { dataPlane: false },
  /** With the eip operator too, its gateway ports on these chassis. */
  eipGatewayChassis?: string[],
): SlbFixture {
  return usePrivateOvn(
    'ovn-slb-',
    options,
    (mgr, conn) => {
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
    () => ({ namespace: cluster.namespace }),
  );
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

/** A guest plugged in as the NetworkInterface's port, once ovn-controller reports it up. */
export async function nicGuest(
  cluster: TestCluster,
  ovn: SlbFixture,
  name: string,
  guests: Guest[],
): Promise<Guest> {
  const s = (
    await cluster.waitForCondition({ apiVersion: vpcApi, kind: 'NetworkInterface', name }, 'Ready')
  ).status as Record<string, string | number>;
  const g = await startGuest(ovn.layout(), {
    name,
    ifaceId: s.portName as string,
    mac: s.macAddress as string,
    address: `${s.ipAddress as string}/${String(s.prefixLength)}`,
    gateway: s.gatewayIP as string,
  });
  guests.push(g);
  await waitFor(
    async () =>
      (await ovn.nb(['get', 'Logical_Switch_Port', s.portName as string, 'up'])).trim() === 'true',
    { what: `the port of ${name} up` },
  );
  return g;
}
