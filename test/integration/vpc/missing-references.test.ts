// GitOps applies objects in any order, so an object whose referent does not exist yet, or is
// not Ready yet, is normal: it waits (phase Pending, Ready=False with the reason, Reconciling)
// and the watch on the referent's kind brings it back when that appears. A wait is no failure:
// no error in the log, no reconcile error counted, no retry with backoff. Here every VPC kind
// is applied before what it names, on the real API server and a real OVN.
import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import winston from 'winston';
import type { Condition } from '../../../controllers/reconcile/index.ts';
import { useTestCluster } from '../../harness/index.ts';
import { doc, ref, useVpcOperator } from './operator-fixture.ts';

interface LogEntry {
  level: string;
  message: string;
  key?: string;
  reason?: string;
  error?: string;
}

/** Every line the manager logs, at info and above, parsed. */
const entries: LogEntry[] = [];
const log = winston.createLogger({
  level: 'info',
  format: winston.format.json(),
  transports: [
    new winston.transports.Stream({
      stream: new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString().split('\n')) {
            if (line) entries.push(JSON.parse(line) as LogEntry);
          }
          done();
        },
      }),
    }),
  ],
});

const cluster = useTestCluster('vpc-wait');
const ovn = useVpcOperator(cluster, { log });

const condition = (conditions: Condition[] | undefined, type: string) =>
  conditions?.find((c) => c.type === type);

/** The object waits with this reason: Pending, Reconciling, not Stalled, nothing observed. */
async function waitsWith(kind: string, name: string, reason: string): Promise<void> {
  const obj = await cluster.waitForCondition(ref(kind, name), 'Ready', 'False', 60_000, reason);
  const conditions = obj.status?.conditions as Condition[] | undefined;
  expect({
    phase: obj.status?.phase,
    observedGeneration: obj.status?.observedGeneration,
    reconciling: condition(conditions, 'Reconciling')?.status,
    reconcilingReason: condition(conditions, 'Reconciling')?.reason,
    stalled: condition(conditions, 'Stalled')?.status,
  }).toEqual({
    phase: 'Pending',
    observedGeneration: undefined,
    reconciling: 'True',
    reconcilingReason: reason,
    stalled: 'False',
  });
}

/** Reconcile errors the manager counted, over all its controllers. */
async function reconcileErrors(): Promise<number> {
  const metric = ovn
    .manager()
    .registry.getSingleMetric('controller_runtime_reconcile_errors_total');
  if (!metric) throw new Error('controller_runtime_reconcile_errors_total is not registered');
  return (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);
}

describe('objects applied before what they name', () => {
  it('wait for their referents, then all become Ready, without an error', async () => {
    await cluster.apply(
      doc('RouteTable', 'egress', {
        vpcRef: { name: 'shop' },
        subnetRefs: [{ name: 'app' }],
        routes: [{ destination: '0.0.0.0/0', nextHopInterfaceRef: { name: 'app-1' } }],
      }),
    );
    await waitsWith('RouteTable', 'egress', 'VPCNotFound');

    await cluster.apply(
      doc('NetworkACL', 'edge', {
        subnetRefs: [{ name: 'app' }],
        rules: [
          {
            ruleNumber: 100,
            direction: 'Ingress',
            protocol: 'All',
            cidr: '0.0.0.0/0',
            action: 'Allow',
          },
        ],
      }),
    );
    await waitsWith('NetworkACL', 'edge', 'SubnetNotFound');

    await cluster.apply(
      doc('NetworkInterface', 'app-1', {
        subnetRef: { name: 'app' },
        securityGroupRefs: [{ name: 'web' }],
      }),
    );
    await waitsWith('NetworkInterface', 'app-1', 'SubnetNotFound');

    await cluster.apply(
      doc('SecurityGroup', 'web', {
        vpcRef: { name: 'shop' },
        rules: [
          {
            name: 'from-admins',
            direction: 'Ingress',
            protocol: 'TCP',
            remoteSecurityGroupRef: { name: 'admins' },
          },
        ],
      }),
    );
    await waitsWith('SecurityGroup', 'web', 'VPCNotFound');

    // The Subnet waits for its VPC, and what names the Subnet now waits for it to be Ready.
    await cluster.apply(
      doc('Subnet', 'app', { vpcRef: { name: 'shop' }, cidrBlock: '10.1.1.0/24' }),
    );
    await waitsWith('Subnet', 'app', 'VPCNotFound');
    await waitsWith('NetworkInterface', 'app-1', 'SubnetNotReady');
    await waitsWith('NetworkACL', 'edge', 'SubnetNotReady');

    // The VPC: everything but the group whose rule names a group still missing turns Ready.
    await cluster.apply(doc('VPC', 'shop', { cidrBlocks: ['10.1.0.0/16'] }));
    for (const [kind, name] of [
      ['VPC', 'shop'],
      ['Subnet', 'app'],
      ['NetworkInterface', 'app-1'],
      ['NetworkACL', 'edge'],
      ['RouteTable', 'egress'],
    ] as const) {
      await cluster.waitForCondition(ref(kind, name), 'Ready', 'True', 90_000);
    }
    await waitsWith('SecurityGroup', 'web', 'SecurityGroupNotFound');

    await cluster.apply(doc('SecurityGroup', 'admins', { vpcRef: { name: 'shop' } }));
    const web = await cluster.waitForCondition(
      ref('SecurityGroup', 'web'),
      'Ready',
      'True',
      90_000,
    );
    expect(web.status).toMatchObject({ phase: 'Ready', members: 1, rules: 1 });
    const table = await cluster.read(ref('RouteTable', 'egress'));
    expect(table.status).toMatchObject({ phase: 'Ready', subnets: ['app'] });

    // No wait was an error: none counted, none logged; each wait was logged at info.
    expect(await reconcileErrors()).toBe(0);
    const ours = entries.filter((e) => e.key?.startsWith(`${cluster.namespace}/`));
    expect(ours.filter((e) => e.level === 'error' || e.level === 'warn')).toEqual([]);
    const waits = new Set(ours.filter((e) => e.level === 'info' && e.reason).map((e) => e.reason));
    for (const reason of [
      'VPCNotFound',
      'SubnetNotFound',
      'SubnetNotReady',
      'SecurityGroupNotFound',
    ]) {
      expect(waits).toContain(reason);
    }
  });
});
