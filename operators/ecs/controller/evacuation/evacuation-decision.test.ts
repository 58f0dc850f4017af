import { describe, expect, it } from '@jest/globals';
import type { Lease } from '../../../../controllers/index.ts';
import type { StoragePoolObject, VolumeObject } from '../../../evs/api/index.ts';
import type { InstanceObject } from '../../api/index.ts';
import { evacuationDecision, type EvacuationInput } from './evacuation-decision.ts';

const t0 = Date.parse('2026-12-05T10:00:00Z');
const lease = (renewedAt: number): Lease => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'h1', namespace: 'kcloud-hosts' },
  spec: { renewTime: new Date(renewedAt).toISOString(), leaseDurationSeconds: 10 },
});
const pool = (name: string, spec: StoragePoolObject['spec']) =>
  ({ metadata: { name }, spec }) as StoragePoolObject;
const pools: Record<string, StoragePoolObject> = {
  shared: pool('shared', { type: 'File', file: { path: '/s', scope: 'Shared' } }),
  local: pool('local', { type: 'File', file: { path: '/l', scope: 'Local' } }),
  ceph: pool('ceph', {
    type: 'RBD',
    rbd: {
      monitors: ['127.0.0.1:6789'],
      pool: 'rbd',
      user: 'u',
      secretRef: { name: 's', namespace: 'n' },
    },
  }),
};
const volumes: Record<string, string> = {
  'a-boot': 'ceph',
  'b-boot': 'shared',
  'c-boot': 'ceph',
  data: 'local',
};
const instance = (name: string, data: string[] = [], deleting = false): InstanceObject =>
  ({
    metadata: { name, namespace: 'ns', ...(deleting ? { deletionTimestamp: 'x' } : {}) },
    spec: { dataVolumes: data.map((d) => ({ name: d })) },
    status: { bootVolume: `${name}-boot` },
  }) as unknown as InstanceObject;

function decide(now: number, instances: InstanceObject[], l: Lease | null = lease(t0)) {
  const input: EvacuationInput = {
    lease: l ?? undefined,
    now,
    heartbeatGraceMs: 5_000,
    evacuationGraceMs: 60_000,
    instances: () => instances,
    world: {
      volume: (_ns, n) =>
        volumes[n] !== undefined
          ? ({ status: { storagePool: volumes[n] } } as unknown as VolumeObject)
          : undefined,
      pool: (n) => pools[n],
    },
  };
  return evacuationDecision(input);
}

describe('evacuationDecision', () => {
  const all = [instance('a'), instance('b'), instance('c', ['data']), instance('d')];

  it('does nothing while the heartbeat is on time, and looks again at its deadline', () => {
    // Renewed at t0, 10 s Lease, 5 s grace: lost from t0+15 s.
    expect(decide(t0 + 1_000, all)).toEqual({ lost: false, recheckAfterMs: 14_000 });
    // A host without a heartbeat Lease here is not judged (another manager's, or not started).
    expect(decide(t0, all, null)).toEqual({ lost: false });
  });

  it('waits out the evacuation grace before fencing', () => {
    expect(decide(t0 + 20_000, all)).toEqual({
      lost: true,
      fence: false,
      since: t0 + 15_000,
      recheckAfterMs: 55_000,
    });
  });

  it('then moves what lives in shared pools and leaves what has data on the host', () => {
    const d = decide(t0 + 75_000, [...all, instance('e', [], true)]);
    if (!d.lost || !d.fence) throw new Error('expected a fence');
    expect(d.evacuate.map((i) => i.metadata.name)).toEqual(['a', 'b']);
    expect(
      d.stranded.map((s) => `${s.instance.metadata.name ?? ''} ${s.reason}: ${s.message}`),
    ).toEqual([
      'c LocalVolumes: Volume data is in the Local pool local on the lost host; the instance runs again when the host is back',
      'd VolumePoolUnknown: the pool of Volume d-boot is not known, so it cannot be told whether another host reaches it',
    ]);
  });
});
