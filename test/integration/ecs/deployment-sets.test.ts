// DeploymentSet status in kcloud-manager, against the real API server: its members, how many of
// them each host or rack holds, and Spread (with Ready) False when a Strict set no longer holds —
// too few hosts for the members waiting, or a host holding more than maxPerDomain. The Hosts are
// simulated (Ready without a machine) and the test places the Instances with the binding label,
// as the scheduler would.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ObjectClient } from '../../../controllers/index.ts';
import { DeploymentSet, type DeploymentSetObject } from '../../../operators/ecs/index.ts';
import { useTestCluster } from '../../harness/index.ts';
import {
  conditionOf,
  ecsApi,
  startEcsManager,
  waitUntil,
  type EcsManagerWorld,
} from './ecs-manager-fixture.ts';

const cluster = useTestCluster('ecs-dset');
let world: EcsManagerWorld;
let sets: ObjectClient<DeploymentSetObject>;
const h = (n: number) => `${cluster.namespace}-h${String(n)}`;

const getSet = (name: string) => () => sets.get(cluster.namespace, name);
const deploymentSet = (name: string, spec: object) =>
  cluster.apply(
    `apiVersion: ${ecsApi}\nkind: DeploymentSet\nmetadata: {name: ${name}}\nspec: ${JSON.stringify(spec)}\n`,
  );

beforeAll(async () => {
  world = await startEcsManager(cluster);
  await world.addHost(h(1), { rack: 'r1' });
  await world.addHost(h(2), { rack: 'r1' });
  await world.addHost(h(3), { rack: 'r2' });
  sets = new ObjectClient(world.api, DeploymentSet.resource);
}, 120_000);

afterAll(async () => {
  await world.stop();
});

describe('a DeploymentSet in kcloud-manager', () => {
  it('counts its members per host, and says when Strict spread has no host left', async () => {
    await deploymentSet('web', { topology: 'Host', policy: 'Strict', maxPerDomain: 1 });
    for (const [name, host] of [
      ['web-1', h(1)],
      ['web-2', h(2)],
      ['web-3', h(3)],
    ] as const) {
      await world.addInstance(name, { deploymentSet: 'web', host });
    }
    const spread = await waitUntil(
      getSet('web'),
      (s) => s.status?.instances === 3 && conditionOf(s, 'Ready')?.status === 'True',
      'web with 3 instances, Ready',
    );
    expect(spread.status).toMatchObject({
      members: 3,
      instances: 3,
      unscheduled: 0,
      domains: 3,
      placement: [
        { domain: `host/${h(1)}`, instances: 1 },
        { domain: `host/${h(2)}`, instances: 1 },
        { domain: `host/${h(3)}`, instances: 1 },
      ],
    });
    expect(conditionOf(spread, 'Spread')?.status).toBe('True');

    // A fourth member: every host holds one already.
    await world.addInstance('web-4', { deploymentSet: 'web' });
    const full = await waitUntil(
      getSet('web'),
      (s) => conditionOf(s, 'Spread')?.reason === 'InsufficientHosts',
      'web without a host for its fourth member',
    );
    expect(full.status).toMatchObject({ members: 4, instances: 3, unscheduled: 1 });
    expect(conditionOf(full, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'InsufficientHosts',
    });
    expect(conditionOf(full, 'Spread')?.message).toContain('room for 0 more');

    // A host freed: the spread holds again.
    await cluster.kubectl(['delete', '-n', cluster.namespace, 'instances.ecs.kcloud.io', 'web-3']);
    await waitUntil(
      getSet('web'),
      (s) => s.status?.members === 3 && conditionOf(s, 'Ready')?.status === 'True',
      'web Ready again with room on a host',
    );

    // Placed beyond maxPerDomain (as if it had been lowered): the set says so.
    await world.place('web-4', h(1));
    const violated = await waitUntil(
      getSet('web'),
      (s) => conditionOf(s, 'Spread')?.reason === 'SpreadViolated',
      'web violated',
    );
    expect(violated.status?.placement?.[0]).toEqual({ domain: `host/${h(1)}`, instances: 2 });
    expect(violated.status?.phase).toBe('Failed');
    expect(conditionOf(violated, 'Spread')?.message).toContain(`host/${h(1)} holds 2`);
  });

  it('counts per rack', async () => {
    await deploymentSet('db', { topology: 'Rack', policy: 'BestEffort', maxPerDomain: 2 });
    await world.addInstance('db-1', { deploymentSet: 'db', host: h(1) });
    await world.addInstance('db-2', { deploymentSet: 'db', host: h(2) });
    await world.addInstance('db-3', { deploymentSet: 'db', host: h(3) });
    const racks = await waitUntil(
      getSet('db'),
      (s) => s.status?.instances === 3,
      'db with 3 instances',
    );
    expect(racks.status?.placement).toEqual([
      { domain: 'rack/r1', instances: 2 },
      { domain: 'rack/r2', instances: 1 },
    ]);
    expect(racks.status?.domains).toBe(2);
    expect(conditionOf(racks, 'Ready')?.status).toBe('True');
  });
});
