import type { UpOptions } from '../../../hack/ovn/index.ts';
import { addEipOperator } from '../../../operators/eip/index.ts';
import { addVpcOperator } from '../../../operators/vpc/index.ts';
import type { TestCluster } from '../../harness/index.ts';
import { usePrivateOvn, type PrivateOvn } from '../../harness/private-ovn.ts';

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

export type EipFixture = PrivateOvn;

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
  return usePrivateOvn(
    'ovn-eip-',
    options,
    (mgr, conn) => {
      addVpcOperator(mgr, {
        nbEndpoints: [conn.nb.unix],
        ...(vpcResyncPeriodMs !== undefined ? { resyncPeriodMs: vpcResyncPeriodMs } : {}),
      });
      // Swept every 2 s: a test sees a force-deleted EIP's rows go.
      addEipOperator(mgr, { nbEndpoints: [conn.nb.unix], gatewayChassis, resyncPeriodMs: 2_000 });
    },
    () => ({ namespace: cluster.namespace }),
  );
}
