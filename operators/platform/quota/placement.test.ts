import { describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../../../controllers/kube/index.ts';
import type { QuotaObject } from '../api/index.ts';
import { countedKindOf, type CountingLookups } from './counted.ts';
import {
  placementOf,
  placementOutsideParent,
  placementViolation,
  samePlacement,
} from './placement.ts';

const volumeKind = countedKindOf('evs.kcloud.io', 'Volume');
const instanceKind = countedKindOf('ecs.kcloud.io', 'Instance');
const vpcKind = countedKindOf('vpc.kcloud.io', 'VPC');
if (!volumeKind || !instanceKind || !vpcKind) throw new Error('counted kinds missing');

const lookups = (defaults = false): CountingLookups => ({
  flavor: () => undefined,
  volumeTypes: () => [
    {
      apiVersion: 'evs.kcloud.io/v1alpha1',
      kind: 'VolumeType',
      metadata: { name: 'ssd' },
      spec: { storagePoolRef: { name: 'ceph' }, ...(defaults ? { default: true } : {}) },
    },
  ],
});

const volume = (type?: string): KubeObject =>
  ({
    metadata: { name: 'v', namespace: 'p' },
    spec: { size: '1Gi', ...(type ? { volumeTypeRef: { name: type } } : {}) },
  }) as KubeObject;
const instance = (placement?: object): KubeObject =>
  ({
    metadata: { name: 'i', namespace: 'p' },
    spec: { flavorRef: { name: 'small' }, ...(placement ? { placement } : {}) },
  }) as KubeObject;
const quota = (name: string, scope: object, lists: object): QuotaObject => ({
  apiVersion: 'platform.kcloud.io/v1alpha1',
  kind: 'Quota',
  metadata: { name },
  spec: { ...scope, hard: {}, ...lists },
});

describe('where a quota lets things go', () => {
  it('finds a volume’s StoragePool through its VolumeType or the default one', () => {
    expect(placementOf(volumeKind, volume('ssd'), lookups())).toEqual({
      kind: 'storagePool',
      pool: 'ceph',
    });
    expect(placementOf(volumeKind, volume(), lookups(true))).toEqual({
      kind: 'storagePool',
      pool: 'ceph',
    });
    expect(placementOf(volumeKind, volume(), lookups())).toMatchObject({
      pool: undefined,
      why: 'it names no VolumeType and no single VolumeType is the default',
    });
    expect(placementOf(volumeKind, volume('gone'), lookups())).toMatchObject({
      pool: undefined,
      why: 'VolumeType gone does not exist',
    });
  });

  it('takes both ways an instance names its host group', () => {
    expect(placementOf(instanceKind, instance(), lookups())).toEqual({
      kind: 'hostGroup',
      groups: [],
    });
    expect(
      placementOf(
        instanceKind,
        instance({
          hostGroup: 'a',
          hostSelector: { 'topology.kcloud.io/host-group': 'b', rack: 'r1' },
        }),
        lookups(),
      ),
    ).toEqual({ kind: 'hostGroup', groups: ['a', 'b'] });
    expect(placementOf(vpcKind, volume(), lookups())).toEqual({ kind: 'none' });
  });

  it('refuses what any quota on the path does not allow, naming it', () => {
    const tenant = quota('t', { tenantRef: { name: 'gov' } }, { storagePools: ['ceph'] });
    const project = quota('p', { projectRef: { name: 'p' } }, { hostGroups: ['g1', 'g2'] });
    const path = [project, tenant];
    expect(placementViolation(path, { kind: 'storagePool', pool: 'ceph' })).toBeUndefined();
    expect(placementViolation(path, { kind: 'storagePool', pool: 'local' })).toBe(
      'tenant gov (Quota t) allows volumes only in StoragePools ceph, not in local: choose a VolumeType of one of them',
    );
    expect(placementViolation(path, { kind: 'hostGroup', groups: ['g2'] })).toBeUndefined();
    expect(placementViolation(path, { kind: 'hostGroup', groups: [] })).toBe(
      'project p (Quota p) allows instances only in host groups g1, g2: set spec.placement.hostGroup to one of them',
    );
    expect(placementViolation(path, { kind: 'hostGroup', groups: ['g1', 'g3'] })).toBe(
      'project p (Quota p) allows instances only in host groups g1, g2, not in g3',
    );
    // No list: anywhere.
    expect(placementViolation([], { kind: 'hostGroup', groups: [] })).toBeUndefined();
  });

  it('tells a move from an update that leaves the object where it is', () => {
    const a = placementOf(instanceKind, instance({ hostGroup: 'a' }), lookups());
    expect(
      samePlacement(a, placementOf(instanceKind, instance({ hostGroup: 'a' }), lookups())),
    ).toBe(true);
    expect(
      samePlacement(a, placementOf(instanceKind, instance({ hostGroup: 'b' }), lookups())),
    ).toBe(false);
  });

  it('keeps a child’s lists within its parent’s', () => {
    const parent = quota('t', { tenantRef: { name: 'gov' } }, { storagePools: ['ceph'] });
    const inside = quota('p', { projectRef: { name: 'p' } }, { storagePools: ['ceph'] });
    const outside = quota('p', { projectRef: { name: 'p' } }, { storagePools: ['ceph', 'local'] });
    const unlisted = quota('p', { projectRef: { name: 'p' } }, { hostGroups: ['g1'] });
    expect(placementOutsideParent(inside, [parent])).toBeUndefined();
    expect(placementOutsideParent(unlisted, [parent])).toBeUndefined();
    expect(placementOutsideParent(outside, [parent])).toBe(
      'StoragePools local are not allowed by tenant gov (Quota t), which allows ceph',
    );
  });
});
