import { describe, expect, it } from '@jest/globals';
import { Instance, type InstanceSpec } from '../api/index.ts';
import { PlacementLedger } from './ledger.ts';
import {
  GiB,
  bound,
  deploymentSet,
  host,
  image,
  input,
  instance,
  nic,
  volume,
  type WorldOptions,
} from './schedule-fixture.ts';
import { decideAndAssume, enoughFits, schedule } from './schedule.ts';

const resolveNothing = () => undefined;

/** A ledger that already holds these instances as the cache shows them. */
function ledgerOf(...instances: ReturnType<typeof bound>[]): PlacementLedger {
  const l = new PlacementLedger();
  for (const i of instances) l.observe(i, resolveNothing);
  return l;
}

/** Places instances one after another, as the controller would, and says where each went. */
function placeAll(
  names: string[],
  make: (name: string) => ReturnType<typeof instance>,
  w: Omit<WorldOptions, 'placements'>,
  ledger = new PlacementLedger(),
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const d = decideAndAssume(ledger, input(make(n), { ...w, placements: ledger }));
    out[n] =
      'bind' in d ? d.bind : 'wait' in d ? `wait:${d.wait.reason}` : `refuse:${d.refuse.reason}`;
  }
  return out;
}

describe('schedule: capacity', () => {
  it('binds where the vCPUs and memory fit, counting what bound instances hold', () => {
    const hosts = [host('a', { vcpu: 4, memoryGiB: 8 }), host('b', { vcpu: 2, memoryGiB: 4 })];
    const big = instance('big', { flavorRef: { name: 'large' } });
    expect(schedule(input(big, { hosts, placements: ledgerOf() }))).toEqual({
      bind: 'a',
      allocated: { vcpu: 4, memoryBytes: 8 * GiB },
    });
    // a holds 1 vCPU already: 4 more do not fit anywhere.
    const placements = ledgerOf(bound(instance('x'), 'a'));
    expect(schedule(input(big, { hosts, placements }))).toEqual({
      wait: {
        reason: 'InsufficientCPU',
        message: '0/2 hosts fit: 2 short of vCPUs (4 asked)',
      },
    });
  });

  it('says memory when memory is short, and capacity when both are', () => {
    const hosts = [host('a', { vcpu: 8, memoryGiB: 16 })];
    const fat = instance('fat', { flavorRef: { name: 'fat' } });
    expect(schedule(input(fat, { hosts, placements: ledgerOf() }))).toMatchObject({
      wait: {
        reason: 'InsufficientMemory',
        message: '0/1 hosts fit: 1 short of memory (32Gi asked)',
      },
    });
    const two = [host('a', { vcpu: 1, memoryGiB: 64 }), host('b', { vcpu: 8, memoryGiB: 16 })];
    expect(schedule(input(fat, { hosts: two, placements: ledgerOf() }))).toMatchObject({
      wait: { reason: 'InsufficientCapacity' },
    });
  });

  it('schedules a Flavor with NIC bandwidth when the interfaces it names are limited to it', () => {
    const hosts = [host('a')];
    // Interfaces made from a Subnet carry the Flavor's limit themselves.
    const bySubnet = instance('x', {
      flavorRef: { name: 'capped' },
      networkInterfaces: [{ name: 'eth0', subnetRef: { name: 'web' } }],
    });
    expect(schedule(input(bySubnet, { hosts, placements: ledgerOf() }))).toMatchObject({
      bind: 'a',
    });
    const named = instance('y', {
      flavorRef: { name: 'capped' },
      networkInterfaces: [{ name: 'eth0', networkInterfaceRef: { name: 'mgmt' } }],
    });
    const nics = [nic('mgmt', { egressMbps: 100, ingressMbps: 50 })];
    expect(schedule(input(named, { hosts, placements: ledgerOf(), nics }))).toMatchObject({
      bind: 'a',
    });
  });

  it('refuses an interface that only holds its address, and places one that does not', () => {
    const hosts = [host('a')];
    const named = instance('y', {
      networkInterfaces: [{ name: 'eth0', networkInterfaceRef: { name: 'vip' } }],
    });
    const decide = (nics: ReturnType<typeof nic>[]) =>
      schedule(input(named, { hosts, placements: ledgerOf(), nics }));
    expect(decide([nic('vip', undefined, true)])).toEqual({
      refuse: {
        reason: 'InterfaceReserveOnly',
        message:
          "NetworkInterface vip only holds its address (spec.reserveOnly, as a load balancer's VIP does): its port answers nothing and gives no DHCP lease; attach another interface",
      },
    });
    expect(decide([nic('vip')])).toMatchObject({ bind: 'a' });
  });

  it('refuses a Flavor with NIC bandwidth naming an interface without that limit', () => {
    const hosts = [host('a')];
    const named = instance('y', {
      flavorRef: { name: 'capped' },
      networkInterfaces: [
        { name: 'eth0', subnetRef: { name: 'web' } },
        { name: 'eth1', networkInterfaceRef: { name: 'mgmt' } },
      ],
    });
    const decide = (nics: ReturnType<typeof nic>[]) =>
      schedule(input(named, { hosts, placements: ledgerOf(), nics }));
    expect(decide([nic('mgmt')])).toEqual({
      refuse: {
        reason: 'NicBandwidthNotLimited',
        message:
          'NetworkInterface mgmt is not limited to the 100 Mbit/s each way that Flavor capped allows: set its spec.bandwidth egressMbps: 100 and ingressMbps: 100 (or less), or choose a Flavor without nicBandwidthMbps',
      },
    });
    expect(decide([nic('mgmt', { egressMbps: 100, ingressMbps: 200 })])).toEqual({
      refuse: {
        reason: 'NicBandwidthNotLimited',
        message:
          'NetworkInterface mgmt is not limited to the 100 Mbit/s each way that Flavor capped allows: set its spec.bandwidth ingressMbps: 100 (or less), or choose a Flavor without nicBandwidthMbps',
      },
    });
    expect(decide([])).toEqual({
      wait: {
        reason: 'NetworkInterfaceNotFound',
        message:
          'NetworkInterface mgmt does not exist: create it (its bandwidth must be limited to 100 Mbit/s each way, as Flavor capped asks)',
      },
    });
    // Without a limit in the Flavor, any interface will do.
    const free = instance('z', {
      networkInterfaces: [{ name: 'eth0', networkInterfaceRef: { name: 'mgmt' } }],
    });
    expect(schedule(input(free, { hosts, placements: ledgerOf(), nics: [] }))).toMatchObject({
      bind: 'a',
    });
  });

  it('takes inline resources like a Flavor', () => {
    const i = instance('inline', {
      flavorRef: undefined,
      resources: { vcpu: 3, memory: '1536Mi' },
    });
    expect(schedule(input(i, { hosts: [host('a')], placements: ledgerOf() }))).toEqual({
      bind: 'a',
      allocated: { vcpu: 3, memoryBytes: 1536 * 1024 ** 2 },
    });
  });

  it('spreads to the least loaded host, or packs onto the most loaded', () => {
    const hosts = [host('a'), host('b')];
    const placements = ledgerOf(bound(instance('x'), 'a', 4, 16));
    const i = instance('new');
    expect(schedule(input(i, { hosts, placements }))).toMatchObject({ bind: 'b' });
    expect(schedule(input(i, { hosts, placements, policy: 'Pack' }))).toMatchObject({ bind: 'a' });
  });

  it('breaks ties the same way whatever the order of the hosts', () => {
    const hosts = ['h1', 'h2', 'h3', 'h4', 'h5'].map((n) => host(n));
    const chosen = new Set<string>();
    for (let k = 0; k < 20; k++) {
      const i = instance(`i${String(k)}`);
      const forward = schedule(input(i, { hosts, placements: ledgerOf() }));
      const backward = schedule(input(i, { hosts: [...hosts].reverse(), placements: ledgerOf() }));
      expect(backward).toEqual(forward);
      if ('bind' in forward) chosen.add(forward.bind);
    }
    // The hash spreads different instances over the equal hosts.
    expect(chosen.size).toBeGreaterThan(2);
  });

  it('keeps a bound instance where it is', () => {
    const hosts = [host('a', { vcpu: 1 }), host('b')];
    const i = bound(instance('x'), 'a');
    expect(schedule(input(i, { hosts, placements: ledgerOf(i) }))).toEqual({
      bind: 'a',
      allocated: { vcpu: 1, memoryBytes: 2 * GiB },
    });
  });
});

describe('schedule: resize', () => {
  const hosts = [host('a', { vcpu: 4, memoryGiB: 8 }), host('b')];

  it('gives a bound instance its new size when its host has room, counted at once', () => {
    const other = bound(instance('other'), 'a');
    const x = bound(instance('x', { flavorRef: { name: 'small' } }), 'a');
    const ledger = ledgerOf(other, x);
    // 1 + 1 held; 3 vCPUs and 6 GiB (4 less 1) are x's to grow to.
    const grown = { ...x, spec: { ...x.spec, resources: { vcpu: 3, memory: '6Gi' } } };
    delete grown.spec.flavorRef;
    expect(decideAndAssume(ledger, input(grown, { hosts, placements: ledger }))).toEqual({
      bind: 'a',
      allocated: { vcpu: 3, memoryBytes: 6 * GiB },
    });
    expect(ledger.used('a')).toEqual({ vcpu: 4, memoryBytes: 8 * GiB, instances: 2 });
    // The cache's next event still shows the old size (another writer's status): the new
    // size stays counted until the cache shows it.
    ledger.observe(x, resolveNothing);
    expect(ledger.used('a').vcpu).toBe(4);
    ledger.observe(bound(grown, 'a', 3, 6), resolveNothing);
    expect(ledger.isAssumed('uid-x')).toBe(false);
    expect(ledger.used('a').vcpu).toBe(4);
  });

  it('keeps the old size and says what is short when the host has no room; never moves it', () => {
    const other = bound(instance('other'), 'a', 2, 4);
    const x = bound(instance('x', { flavorRef: { name: 'large' } }), 'a');
    const ledger = ledgerOf(other, x);
    const d = decideAndAssume(ledger, input(x, { hosts, placements: ledger }));
    expect(d).toEqual({
      bind: 'a',
      allocated: { vcpu: 1, memoryBytes: 2 * GiB },
      resizeWaits: {
        reason: 'ResizeWaitsForCapacity',
        message:
          'the new size (4 vCPUs, 8Gi) does not fit: 2 vCPUs and 4Gi of memory short on Host a; the instance keeps 1 vCPU and 2Gi until room frees there (it is not moved to another host)',
      },
    });
    expect(ledger.used('a')).toEqual({ vcpu: 3, memoryBytes: 6 * GiB, instances: 2 });
  });

  it('always fits a smaller size', () => {
    const full = bound(instance('x', { flavorRef: { name: 'small' } }), 'a', 4, 8);
    const ledger = ledgerOf(full);
    expect(decideAndAssume(ledger, input(full, { hosts, placements: ledger }))).toEqual({
      bind: 'a',
      allocated: { vcpu: 1, memoryBytes: 2 * GiB },
    });
    expect(ledger.used('a')).toEqual({ vcpu: 1, memoryBytes: 2 * GiB, instances: 1 });
  });
});

describe('schedule: many hosts', () => {
  it('scores a share of the fitting hosts, shrinking as the cluster grows', () => {
    expect([10, 100, 101, 1000, 5000, 20000].map(enoughFits)).toEqual([
      10, 100, 100, 420, 500, 1000,
    ]);
  });

  it('still finds the one host that fits among thousands, and counts them all when none does', () => {
    const hosts = Array.from({ length: 3000 }, (_, k) =>
      host(`h${String(k)}`, k === 2345 ? {} : { vcpu: 0 }),
    );
    expect(schedule(input(instance('x'), { hosts, placements: ledgerOf() }))).toMatchObject({
      bind: 'h2345',
    });
    expect(
      schedule(
        input(instance('x'), {
          hosts: hosts.filter((h) => h.name !== 'h2345'),
          placements: ledgerOf(),
        }),
      ),
    ).toEqual({
      wait: {
        reason: 'InsufficientCPU',
        message: '0/2999 hosts fit: 2999 short of vCPUs (1 asked)',
      },
    });
  });
});

describe('schedule: hosts that may not take new instances', () => {
  it('leaves out cordoned, not-Ready and unreported hosts, and says so', () => {
    const i = instance('x');
    const one = (h: ReturnType<typeof host>) =>
      schedule(input(i, { hosts: [h], placements: ledgerOf() }));
    expect(one(host('a', { cordoned: true }))).toEqual({
      wait: { reason: 'HostCordoned', message: '0/1 hosts fit: 1 cordoned (spec.unschedulable)' },
    });
    expect(one(host('a', { ready: false }))).toEqual({
      wait: { reason: 'HostNotReady', message: '0/1 hosts fit: 1 not Ready' },
    });
    expect(one(host('a', { noCapacity: true }))).toMatchObject({
      wait: { reason: 'HostCapacityUnknown' },
    });
    const hosts = [
      host('a', { cordoned: true }),
      host('b', { ready: false }),
      host('c', { ready: false }),
      host('ok'),
    ];
    expect(schedule(input(i, { hosts, placements: ledgerOf() }))).toMatchObject({ bind: 'ok' });
    expect(schedule(input(i, { hosts: hosts.slice(0, 3), placements: ledgerOf() }))).toEqual({
      wait: {
        reason: 'Unschedulable',
        message: '0/3 hosts fit: 2 not Ready, 1 cordoned (spec.unschedulable)',
      },
    });
  });

  it('says which filter left every host out', () => {
    const one = (h: ReturnType<typeof host>, i = instance('x'), more: Partial<WorldOptions> = {}) =>
      schedule(input(i, { hosts: [h], placements: ledgerOf(), ...more }));
    const lagging = { ...host('a'), schedulable: false };
    expect(one(lagging)).toEqual({
      wait: { reason: 'HostNotSchedulable', message: '0/1 hosts fit: 1 not Schedulable' },
    });
    const picky = instance('x', { placement: { hostSelector: { gpu: 'a100' } } });
    expect(one(host('a'), picky)).toEqual({
      wait: {
        reason: 'HostSelectorMismatch',
        message: '0/1 hosts fit: 1 not matching hostSelector',
      },
    });
    const pinned = instance('x', { dataVolumes: [{ name: 'v' }] });
    expect(
      one(host('a', { pools: ['local'] }), pinned, { volumes: [volume('v', 'local', 'b')] }),
    ).toEqual({
      wait: {
        reason: 'VolumePinned',
        message: '0/1 hosts fit: 1 not b, where Volume v is (Local pool local)',
      },
    });
    expect(one(host('a'), pinned, { volumes: [volume('v', 'gone')] })).toEqual({
      wait: { reason: 'StoragePoolNotFound', message: 'StoragePool gone does not exist' },
    });
  });

  it('waits for a host when none is registered', () => {
    expect(schedule(input(instance('x'), { hosts: [], placements: ledgerOf() }))).toMatchObject({
      wait: { reason: 'NoHosts' },
    });
  });

  it('matches the image architecture', () => {
    const hosts = [host('arm', { arch: 'aarch64' }), host('x86')];
    const i = instance('x');
    expect(schedule(input(i, { hosts, placements: ledgerOf() }))).toMatchObject({ bind: 'x86' });
    const armImage = [image('debian', { arch: 'aarch64' })];
    expect(
      schedule(input(i, { hosts: [host('x86')], placements: ledgerOf(), images: armImage })),
    ).toEqual({
      wait: {
        reason: 'ArchMismatch',
        message: '0/1 hosts fit: 1 of CPU architecture x86_64 (the image is aarch64)',
      },
    });
  });

  it('keeps to the host group and the host selector', () => {
    const hosts = [
      host('a', { hostGroup: 'gpu', labels: { disk: 'hdd' } }),
      host('b', { hostGroup: 'gpu', labels: { disk: 'ssd' } }),
      host('c', { labels: { disk: 'ssd' } }),
    ];
    const i = instance('x', { placement: { hostGroup: 'gpu', hostSelector: { disk: 'ssd' } } });
    expect(schedule(input(i, { hosts, placements: ledgerOf() }))).toMatchObject({ bind: 'b' });
    const none = instance('y', { placement: { hostGroup: 'db' } });
    expect(schedule(input(none, { hosts, placements: ledgerOf() }))).toEqual({
      wait: { reason: 'HostGroupMismatch', message: '0/3 hosts fit: 3 not in host group db' },
    });
  });

  it('uses simulated hosts only for instances that select them', () => {
    const sim = host('sim', { labels: { 'host.kcloud.io/simulated': 'true' } });
    expect(schedule(input(instance('x'), { hosts: [sim], placements: ledgerOf() }))).toMatchObject({
      wait: { reason: 'HostSimulated' },
    });
    const wants = instance('y', {
      placement: { hostSelector: { 'host.kcloud.io/simulated': 'true' } },
    });
    expect(
      schedule(input(wants, { hosts: [sim, host('real')], placements: ledgerOf() })),
    ).toMatchObject({
      bind: 'sim',
    });
  });
});

describe('schedule: volumes', () => {
  const hosts = [host('a', { pools: ['ceph', 'local'] }), host('b', { pools: ['ceph', 'local'] })];

  it('runs where a Local volume is, even when another host is emptier', () => {
    const i = instance('x', { dataVolumes: [{ name: 'data' }] });
    const placements = ledgerOf(bound(instance('y'), 'b', 8, 32));
    const volumes = [volume('data', 'local', 'b')];
    expect(schedule(input(i, { hosts, placements, volumes }))).toMatchObject({ bind: 'b' });
    // ... and waits when that host is full, naming the volume.
    const full = ledgerOf(bound(instance('y'), 'b', 16, 32));
    expect(schedule(input(i, { hosts, placements: full, volumes }))).toEqual({
      wait: {
        reason: 'Unschedulable',
        message:
          '0/2 hosts fit: 1 not b, where Volume data is (Local pool local), 1 short of vCPUs (1 asked)',
      },
    });
  });

  it('boots from a Local image on the image host', () => {
    const i = instance('x');
    const images = [image('debian', { pool: 'local', host: 'a' })];
    expect(schedule(input(i, { hosts, placements: ledgerOf(), images }))).toMatchObject({
      bind: 'a',
    });
    // Once the boot volume exists, its own place decides.
    const volumes = [volume('x-boot', 'local', 'b')];
    expect(
      schedule(input(i, { hosts, placements: ledgerOf(), images, volumes, bootVolume: 'x-boot' })),
    ).toMatchObject({ bind: 'b' });
  });

  it('refuses Local volumes on two hosts', () => {
    const i = instance('x', { dataVolumes: [{ name: 'v1' }, { name: 'v2' }] });
    const volumes = [volume('v1', 'local', 'a'), volume('v2', 'local', 'b')];
    expect(schedule(input(i, { hosts, placements: ledgerOf(), volumes }))).toEqual({
      refuse: {
        reason: 'VolumesOnDifferentHosts',
        message:
          "the instance's volumes are in Local storage pools on different hosts (Volume v1 on a, Volume v2 on b): no host reaches them all; use volumes on one host or in a shared pool",
      },
    });
  });

  it('needs every shared pool reachable from the host', () => {
    const i = instance('x', { dataVolumes: [{ name: 'shared' }] });
    const two = [host('a', { pools: ['local'] }), host('b', { pools: ['ceph'] })];
    const volumes = [volume('shared', 'ceph')];
    expect(schedule(input(i, { hosts: two, placements: ledgerOf(), volumes }))).toMatchObject({
      bind: 'b',
    });
    expect(schedule(input(i, { hosts: two.slice(0, 1), placements: ledgerOf(), volumes }))).toEqual(
      {
        wait: {
          reason: 'StoragePoolUnreachable',
          message: '0/1 hosts fit: 1 not reaching storage pool ceph (Volume shared)',
        },
      },
    );
  });

  it('waits for volumes that are missing, unplaced, or attached elsewhere', () => {
    const i = instance('x', { dataVolumes: [{ name: 'v' }] });
    const w = (volumes: ReturnType<typeof volume>[]) =>
      schedule(input(i, { hosts, placements: ledgerOf(), volumes }));
    expect(w([])).toMatchObject({ wait: { reason: 'VolumeNotFound' } });
    const unplaced = volume('v', 'ceph');
    delete unplaced.status;
    expect(w([unplaced])).toMatchObject({ wait: { reason: 'WaitingForVolume' } });
    expect(w([volume('v', 'ceph', 'a', 'other')])).toEqual({
      wait: {
        reason: 'VolumeInUse',
        message:
          'Volume v is attached to Instance other; detach it there, or make volumes shared with multiAttach',
      },
    });
  });
});

describe('schedule: references not there (yet)', () => {
  const hosts = [host('a')];

  it('waits for a Flavor GitOps may apply later', () => {
    const i = instance('x', { flavorRef: { name: 'xlarge' } });
    expect(schedule(input(i, { hosts, placements: ledgerOf() }))).toEqual({
      wait: {
        reason: 'FlavorNotFound',
        message:
          'Flavor xlarge does not exist: create it (the instance is scheduled once it does), or give resources inline',
      },
    });
  });

  it('waits for the image, its pool and the DeploymentSet', () => {
    expect(schedule(input(instance('x'), { hosts, placements: ledgerOf(), images: [] }))).toEqual({
      wait: { reason: 'ImageNotFound', message: 'Image ns/debian does not exist' },
    });
    const importing = image('debian');
    delete importing.status;
    expect(
      schedule(input(instance('x'), { hosts, placements: ledgerOf(), images: [importing] })),
    ).toMatchObject({ wait: { reason: 'WaitingForImage' } });
    const i = instance('x', { placement: { deploymentSetRef: { name: 'web' } } });
    expect(schedule(input(i, { hosts, placements: ledgerOf() }))).toEqual({
      wait: { reason: 'DeploymentSetNotFound', message: 'DeploymentSet web does not exist' },
    });
  });

  it('refuses an image that needs more memory than the instance has', () => {
    const images = [image('debian', { minMemoryMiB: 4096 })];
    expect(schedule(input(instance('x'), { hosts, placements: ledgerOf(), images }))).toEqual({
      refuse: {
        reason: 'ImageNeedsMoreMemory',
        message:
          'Image debian needs at least 4Gi of memory; the instance has 2Gi: choose a larger Flavor',
      },
    });
  });

  it('never sees 16 data volumes: the API schema refuses them', () => {
    const i = instance('x', {
      dataVolumes: Array.from({ length: 16 }, (_, k) => ({ name: `v${String(k)}` })),
    });
    const r = Instance.validate(i);
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).toContain('dataVolumes');
  });
});

describe('schedule: affinity and anti-affinity', () => {
  const web = { app: 'web' };
  const antiWeb = (topology: 'Host' | 'Rack' = 'Host'): Partial<InstanceSpec> => ({
    placement: {
      antiAffinity: [{ selector: { matchLabels: web }, topology, type: 'Required' }],
    },
  });

  it('puts instances that repel each other on different hosts, then waits', () => {
    const hosts = ['a', 'b', 'c'].map((n) => host(n));
    const placed = placeAll(['w1', 'w2', 'w3', 'w4'], (n) => instance(n, antiWeb(), web), {
      hosts,
    });
    expect(new Set([placed.w1, placed.w2, placed.w3])).toEqual(new Set(['a', 'b', 'c']));
    expect(placed.w4).toBe('wait:AntiAffinityConflict');
  });

  it('keeps required anti-affinity both ways', () => {
    const hosts = [host('a'), host('b')];
    const placements = ledgerOf(bound(instance('guard', antiWeb()), 'a'));
    // A web instance without terms of its own still stays off the guard's host.
    expect(schedule(input(instance('w', {}, web), { hosts, placements }))).toMatchObject({
      bind: 'b',
    });
  });

  it('spreads over racks, and a host in no rack is no rack-mate', () => {
    const hosts = [
      host('a1', { rack: 'r1' }),
      host('a2', { rack: 'r1' }),
      host('b1', { rack: 'r2' }),
    ];
    const placed = placeAll(['w1', 'w2', 'w3'], (n) => instance(n, antiWeb('Rack'), web), {
      hosts,
    });
    expect([placed.w1, placed.w2].map((h) => h?.slice(0, 1)).sort()).toEqual(['a', 'b']);
    expect(placed.w3).toBe('wait:AntiAffinityConflict');
  });

  it('joins the instances its required affinity selects; the first of a group goes anywhere', () => {
    const hosts = ['a', 'b', 'c'].map((n) => host(n));
    const near = (n: string) =>
      instance(
        n,
        {
          placement: {
            affinity: [
              { selector: { matchLabels: { app: 'db' } }, topology: 'Host', type: 'Required' },
            ],
          },
        },
        { app: 'db' },
      );
    const placed = placeAll(['d1', 'd2', 'd3'], near, { hosts });
    expect(placed.d2).toBe(placed.d1);
    expect(placed.d3).toBe(placed.d1);
    // An instance that is not of the group waits for one to exist.
    const follower = instance('f', near('x').spec);
    expect(schedule(input(follower, { hosts, placements: ledgerOf() }))).toMatchObject({
      wait: { reason: 'AffinityNotMet' },
    });
  });

  it('prefers, without requiring, by weight', () => {
    const hosts = [host('a'), host('b')];
    const placements = ledgerOf(bound(instance('cache', {}, { app: 'cache' }), 'a'));
    const likes = instance('x', {
      placement: {
        affinity: [
          {
            selector: { matchLabels: { app: 'cache' } },
            topology: 'Host',
            type: 'Preferred',
            weight: 50,
          },
        ],
      },
    });
    expect(schedule(input(likes, { hosts, placements }))).toMatchObject({ bind: 'a' });
    const avoids = instance('y', {
      placement: {
        antiAffinity: [
          {
            selector: { matchLabels: { app: 'cache' } },
            topology: 'Host',
            type: 'Preferred',
            weight: 50,
          },
        ],
      },
    });
    expect(schedule(input(avoids, { hosts, placements, policy: 'Pack' }))).toMatchObject({
      bind: 'b',
    });
  });
});

describe('schedule: deployment sets', () => {
  const inSet = (n: string) => instance(n, { placement: { deploymentSetRef: { name: 'web' } } });
  const hosts = ['a', 'b', 'c'].map((n) => host(n));

  it('strict: at most maxPerDomain per host, then waits', () => {
    const sets = [deploymentSet('web', { topology: 'Host', policy: 'Strict', maxPerDomain: 1 })];
    const placed = placeAll(['w1', 'w2', 'w3', 'w4'], inSet, { hosts, sets });
    expect(new Set([placed.w1, placed.w2, placed.w3]).size).toBe(3);
    expect(placed.w4).toBe('wait:DeploymentSetFull');
  });

  it('best-effort: spreads first, then places anyway on the least used domain', () => {
    const sets = [deploymentSet('web', { policy: 'BestEffort', maxPerDomain: 1 })];
    const placed = placeAll(['w1', 'w2', 'w3', 'w4', 'w5', 'w6'], inSet, { hosts, sets });
    const perHost = Object.values(placed).reduce<Record<string, number>>((acc, h) => {
      acc[h] = (acc[h] ?? 0) + 1;
      return acc;
    }, {});
    expect(perHost).toEqual({ a: 2, b: 2, c: 2 });
  });

  it('strict over racks leaves out hosts in no rack', () => {
    const racked = [host('a1', { rack: 'r1' }), host('a2', { rack: 'r1' }), host('x')];
    const sets = [deploymentSet('web', { topology: 'Rack', policy: 'Strict', maxPerDomain: 2 })];
    const placed = placeAll(['w1', 'w2', 'w3'], inSet, { hosts: racked, sets });
    expect([placed.w1, placed.w2].every((h) => h === 'a1' || h === 'a2')).toBe(true);
    expect(placed.w3).toBe('wait:DeploymentSetFull');
  });
});
