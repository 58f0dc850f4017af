// With the vpc operator's finalizer policy installed (as the chart and make demo install it),
// the API server puts the operator's finalizer on every VPC object at create: the object never
// exists without it, and the operator's first reconcile writes no finalizer of its own.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import {
  applyFinalizerPolicy,
  removeFinalizerPolicy,
} from '../../../hack/demo/finalizer-policies.ts';
import { down, type OvnLayout } from '../../../hack/ovn/index.ts';
import { vpcCreateFinalizer, vpcFinalizer } from '../../../operators/vpc/index.ts';
import { useTestCluster, waitFor, type RunningManager } from '../../harness/index.ts';
import { doc, ref, startOvnAndOperator } from './operator-fixture.ts';

const cluster = useTestCluster('vpc-create-fin');
let layout: OvnLayout | undefined;
let running: RunningManager | undefined;
let policyName = '';

interface Managed {
  metadata: {
    finalizers?: string[];
    managedFields?: { manager?: string; operation?: string; fieldsV1?: object }[];
  };
}

/** The field managers that own the object's finalizers. */
const finalizerOwners = (o: Managed) =>
  (o.metadata.managedFields ?? [])
    .filter((f) => JSON.stringify(f.fieldsV1 ?? {}).includes('"f:finalizers"'))
    .map((f) => `${f.manager ?? '?'}/${f.operation ?? '?'}`);

beforeAll(async () => {
  policyName = `${cluster.namespace}-vpc`;
  await applyFinalizerPolicy(cluster.kubeconfigPath, vpcCreateFinalizer, {
    name: policyName,
    namespaces: [cluster.namespace],
  });
  // The API server takes a new policy in within seconds: until then creates go unpatched.
  await waitFor(
    async () => {
      const probe = await cluster.kubectl(
        ['create', '--dry-run=server', '-o', 'json', '-n', cluster.namespace, '-f', '-'],
        doc('VPC', 'probe', { cidrBlocks: ['10.9.0.0/16'] }),
      );
      const o = JSON.parse(probe.stdout || '{}') as Partial<Managed>;
      return o.metadata?.finalizers?.includes(vpcFinalizer) || undefined;
    },
    { what: 'the vpc finalizer policy in force', timeoutMs: 30_000 },
  );
  ({ layout, running } = await startOvnAndOperator(cluster, 'ovn-create-fin-', {
    dataPlane: false,
  }));
});

afterAll(async () => {
  // OVN is stopped whatever failed before: its processes must not outlive the test.
  try {
    await running?.stop();
    if (policyName) await removeFinalizerPolicy(cluster.kubeconfigPath, policyName);
  } finally {
    if (layout) {
      await down(layout, { purge: true });
      await rm(layout.runDir, { recursive: true, force: true });
    }
  }
});

describe('the vpc finalizer put on at create', () => {
  it('is on every VPC object as created, next to a finalizer of the user, and the operator writes none', async () => {
    const created = (await cluster.apply(
      [
        doc('VPC', 'v1', { cidrBlocks: ['10.0.0.0/16'] }),
        doc('Subnet', 's1', { vpcRef: { name: 'v1' }, cidrBlock: '10.0.1.0/24' }),
        doc('SecurityGroup', 'web', { vpcRef: { name: 'v1' }, rules: [] }),
        `apiVersion: vpc.kcloud.io/v1alpha1\nkind: NetworkInterface\nmetadata: {name: n1, finalizers: [example.com/keep]}\nspec: {subnetRef: {name: s1}, securityGroupRefs: [{name: web}]}\n`,
      ].join('---\n'),
    )) as (KubernetesObject & Managed)[];
    // The create responses: before any reconcile could have written anything.
    expect(created.map((o) => `${o.kind ?? ''} ${JSON.stringify(o.metadata.finalizers)}`)).toEqual([
      `VPC ${JSON.stringify([vpcFinalizer])}`,
      `Subnet ${JSON.stringify([vpcFinalizer])}`,
      `SecurityGroup ${JSON.stringify([vpcFinalizer])}`,
      `NetworkInterface ${JSON.stringify(['example.com/keep', vpcFinalizer])}`,
    ]);
    for (const [kind, name] of [
      ['VPC', 'v1'],
      ['Subnet', 's1'],
      ['SecurityGroup', 'web'],
      ['NetworkInterface', 'n1'],
    ] as const) {
      const ready = (await cluster.waitForCondition(
        ref(kind, name),
        'Ready',
      )) as unknown as Managed;
      // No finalizer patch by the operator: only the user's own apply (the interface's, which
      // names one) owns any finalizer; the one the API server added belongs to nobody.
      expect(`${kind} ${JSON.stringify(finalizerOwners(ready))}`).toBe(
        `${kind} ${JSON.stringify(kind === 'NetworkInterface' ? ['kcloud-test/Apply'] : [])}`,
      );
    }
  });

  it('still holds the deletion until the operator has cleaned up, and keeps the user’s', async () => {
    await cluster.objects.delete({
      apiVersion: 'vpc.kcloud.io/v1alpha1',
      kind: 'NetworkInterface',
      metadata: { name: 'n1', namespace: cluster.namespace },
    });
    const left = await waitFor(
      async () => {
        const o = (await cluster.read(ref('NetworkInterface', 'n1'))) as unknown as Managed;
        return o.metadata.finalizers?.includes(vpcFinalizer) ? undefined : o;
      },
      { what: 'the operator to take its finalizer off n1', timeoutMs: 60_000 },
    );
    expect(left.metadata.finalizers).toEqual(['example.com/keep']);
    // The user lets go of it too.
    await cluster.objects.patch(
      {
        apiVersion: 'vpc.kcloud.io/v1alpha1',
        kind: 'NetworkInterface',
        metadata: { name: 'n1', namespace: cluster.namespace, finalizers: [] },
      },
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.MergePatch,
    );
    await cluster.waitForGone(ref('NetworkInterface', 'n1'));
  });
});
