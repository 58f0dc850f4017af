// ECS instances in kcloud-manager, against the real API server and a real agent with a file
// pool: an Instance gets its boot Volume (a clone of its Image), its NetworkInterface, a host
// from the scheduler, and a VolumeAttachment per disk that the host's agent reports Attached;
// too big an instance waits with the scheduler's reason; a disk leaving the spec is detached;
// deleting the instance deletes what was made for it (a kept boot volume stays).
import { copyFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../../../controllers/index.ts';
import {
  addInstanceController,
  Instance,
  type InstanceObject,
} from '../../../operators/ecs/index.ts';
import {
  Volume,
  VolumeAttachment,
  type VolumeAttachmentObject,
  type VolumeObject,
} from '../../../operators/evs/index.ts';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import { makeImages, requireTools, sha256, type ImageFiles } from '../evs/backend/pool-fixtures.ts';
import {
  clientFor,
  doc,
  ecsApi,
  evsApi,
  startEvsWorld,
  waitReady,
  type EvsWorld,
} from '../evs/evs-fixture.ts';

const cluster = useTestCluster('ecs-inst');
let world: EvsWorld;
let files: ImageFiles;
let host = '';
let pool = '';
let flavor = '';
let volumeType = '';

const instances = () => clientFor<InstanceObject>(world, Instance.resource);
const volumes = () => clientFor<VolumeObject>(world, Volume.resource);
const attachments = () => clientFor<VolumeAttachmentObject>(world, VolumeAttachment.resource);
const getInstance = (name: string) => () => instances().get(cluster.namespace, name);
const getVolume = (name: string) => () => volumes().get(cluster.namespace, name);
const getAttachment = (name: string) => () => attachments().get(cluster.namespace, name);
const gone = async (get: () => Promise<KubeObject>) =>
  get().then(
    () => false,
    () => true,
  );
const condition = (o: { status?: { conditions?: { type: string }[] } }, type: string) =>
  o.status?.conditions?.find((c) => c.type === type) as
    { type: string; status: string; reason: string; message: string } | undefined;

beforeAll(async () => {
  await requireTools(['qemu-img']);
  world = await startEvsWorld(cluster, 1, {
    controllers: (mgr) => {
      addInstanceController(mgr, {
        policy: 'Spread',
        hostsNamespace: `${cluster.namespace}-hosts`,
      });
    },
    // An instance without NICs boots here (QEMU, whose disk holds no guest: it ignores the
    // ACPI power button), so deletion stops it by force soon. Its Open vSwitch is one that
    // cannot be read: the host has no OVN chassis.
    agentArgs: [
      '--vm-stop-timeout=2s',
      `--ovs-db=unix:${path.join(tmpdir(), `${cluster.namespace}-no-ovs.sock`)}`,
    ],
  });
  [host = ''] = world.hosts;
  await mkdir(path.join(world.work, 'images'), { recursive: true });
  files = await makeImages(path.join(world.work, 'images'));
  pool = `${cluster.namespace}-local`;
  flavor = `${cluster.namespace}-small`;
  volumeType = `${cluster.namespace}-normal`;
  await cluster.apply(
    doc(evsApi, 'StoragePool', pool, {
      type: 'File',
      file: { path: '/pools/local', scope: 'Local' },
    }),
  );
  await cluster.apply(
    doc(evsApi, 'VolumeType', volumeType, {
      storagePoolRef: { name: pool },
      default: true,
    }),
  );
  await cluster.apply(doc(ecsApi, 'Flavor', flavor, { vcpu: 1, memory: '256Mi' }));
  await copyFile(files.qcow2, path.join(world.roots[host] ?? '', 'import', 'disk.qcow2'));
  await cluster.apply(
    doc(ecsApi, 'Image', 'img', {
      source: { hostFile: { host, path: '/import/disk.qcow2', sha256: await sha256(files.qcow2) } },
      storagePoolRef: { name: pool },
    }),
  );
  await waitReady(
    () =>
      clientFor<KubeObject & { status?: { conditions?: never[] } }>(world, {
        group: 'ecs.kcloud.io',
        version: 'v1alpha1',
        plural: 'images',
        namespaced: true,
        kind: 'Image',
      }).get(cluster.namespace, 'img'),
    'True',
  );
}, 300_000);

afterAll(async () => {
  try {
    await world.deleteAll([
      `volumetypes.evs.kcloud.io/${volumeType}`,
      `storagepools.evs.kcloud.io/${pool}`,
      `flavors.ecs.kcloud.io/${flavor}`,
    ]);
  } finally {
    await world.stop();
  }
});

describe('an Instance in kcloud-manager', () => {
  it('gets its boot volume, interface, a host and its disks attached there', async () => {
    await cluster.apply(
      doc(ecsApi, 'Instance', 'web-1', {
        flavorRef: { name: flavor },
        imageRef: { name: 'img' },
        networkInterfaces: [{ name: 'eth0', primary: true, subnetRef: { name: 'web' } }],
      }),
    );
    const placed = await waitFor(
      async () => {
        const i = await getInstance('web-1')();
        return condition(i, 'Scheduled')?.status === 'True' ? i : undefined;
      },
      {
        timeoutMs: 120_000,
        what: 'web-1 Scheduled',
        describe: async () => JSON.stringify((await getInstance('web-1')()).status, null, 2),
      },
    );
    expect(placed.metadata.labels?.['ecs.kcloud.io/host']).toBe(host);
    expect(placed.metadata.finalizers).toEqual(['ecs.kcloud.io/cleanup', 'ecs.kcloud.io/vm']);
    expect(placed.status).toMatchObject({
      host,
      allocated: { vcpu: 1, memoryBytes: 256 * 1024 ** 2 },
      bootVolume: 'web-1-boot',
      interfaces: [{ name: 'eth0', networkInterface: 'web-1-eth0' }],
    });
    // The VM is the host agent's to run: until it says so, the instance is Starting (the
    // agent may already say what it waits for: here the interface, which no VPC operator
    // makes in this test).
    expect(condition(placed, 'Ready')?.status).toBe('False');
    expect(['WaitingForProvisioned', 'WaitingForVolumes', 'WaitingForNetwork']).toContain(
      condition(placed, 'Ready')?.reason,
    );
    expect(placed.status?.phase).toBe('Starting');
    // No chassis to fence its interface's port to: none is named, and the instance says so.
    expect(condition(placed, 'NetworkFenced')).toMatchObject({
      status: 'False',
      reason: 'HostChassisUnknown',
    });

    const boot = await waitReady(getVolume('web-1-boot'), 'True');
    expect(boot.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Instance', name: 'web-1' });
    expect(boot.spec.source?.image?.name).toBe('img');
    const nic = await clientFor<KubeObject & { spec: { subnetRef: { name: string } } }>(world, {
      group: 'vpc.kcloud.io',
      version: 'v1alpha1',
      plural: 'networkinterfaces',
      namespaced: true,
      kind: 'NetworkInterface',
    }).get(cluster.namespace, 'web-1-eth0');
    expect(nic.spec.subnetRef).toEqual({ name: 'web' });
    expect(nic.metadata.ownerReferences?.[0]?.uid).toBe(placed.metadata.uid);
    expect(nic.metadata.annotations?.['vpc.kcloud.io/requested-chassis']).toBeUndefined();

    const att = await waitReady(getAttachment('web-1-web-1-boot'), 'True');
    expect(att.spec).toMatchObject({
      volumeRef: { name: 'web-1-boot' },
      instanceRef: { name: 'web-1' },
      host,
    });
    expect(att.status?.target?.file?.format).toBe('qcow2');
    const inUse = await waitFor(
      async () => {
        const v = await getVolume('web-1-boot')();
        return v.status?.phase === 'InUse' ? v : undefined;
      },
      { timeoutMs: 30_000, what: 'the boot volume InUse' },
    );
    expect(inUse.status?.attachments).toEqual([{ instance: 'web-1', host }]);
  });

  it('attaches a data volume named in the spec, and detaches it when it leaves', async () => {
    await cluster.apply(doc(evsApi, 'Volume', 'data', { size: '1Gi' }));
    await waitReady(getVolume('data'), 'True');
    await cluster.apply(
      doc(ecsApi, 'Instance', 'web-1', {
        flavorRef: { name: flavor },
        imageRef: { name: 'img' },
        networkInterfaces: [{ name: 'eth0', primary: true, subnetRef: { name: 'web' } }],
        dataVolumes: [{ name: 'data' }],
      }),
    );
    await waitReady(getAttachment('web-1-data'), 'True');
    await cluster.apply(
      doc(ecsApi, 'Instance', 'web-1', {
        flavorRef: { name: flavor },
        imageRef: { name: 'img' },
        networkInterfaces: [{ name: 'eth0', primary: true, subnetRef: { name: 'web' } }],
      }),
    );
    await waitFor(async () => ((await gone(getAttachment('web-1-data'))) ? true : undefined), {
      timeoutMs: 60_000,
      what: 'the data volume detached',
    });
    const data = await waitFor(
      async () => {
        const v = await getVolume('data')();
        return v.status?.phase === 'Available' ? v : undefined;
      },
      { timeoutMs: 30_000, what: 'Volume data Available again' },
    );
    expect(data.status?.attachments ?? []).toEqual([]);
  });

  it('waits with the scheduler’s reason when no host has room', async () => {
    await cluster.apply(
      doc(ecsApi, 'Instance', 'huge', {
        resources: { vcpu: 1024, memory: '8Ti' },
        imageRef: { name: 'img' },
      }),
    );
    const waiting = await waitFor(
      async () => {
        const i = await getInstance('huge')();
        const s = condition(i, 'Scheduled');
        // Its boot volume is made first (WaitingForVolume), then no host has room.
        return s?.status === 'False' && /Insufficient|Unschedulable/.test(s.reason) ? i : undefined;
      },
      {
        timeoutMs: 60_000,
        what: 'huge waiting for a host with room',
        describe: async () => JSON.stringify((await getInstance('huge')()).status, null, 2),
      },
    );
    expect(condition(waiting, 'Scheduled')?.reason).toMatch(/Insufficient|Unschedulable/);
    expect(condition(waiting, 'Scheduled')?.message).toContain('hosts fit');
    expect(waiting.status?.phase).toBe('Pending');
    expect(waiting.metadata.labels?.['ecs.kcloud.io/host']).toBeUndefined();
    // Its boot volume is made meanwhile, and it has no finalizer: nothing was placed.
    expect(waiting.metadata.finalizers ?? []).toEqual([]);
    await cluster.kubectl(['delete', '-n', cluster.namespace, 'instances.ecs.kcloud.io', 'huge']);
  });

  it('says why when its boot volume cannot be made, naming the volume and its reason', async () => {
    // A VolumeType of another pool than the image's: a clone cannot cross pools.
    await mkdir(path.join(world.work, 'shared-fs', 'other'), { recursive: true });
    await cluster.apply(
      [
        doc(evsApi, 'StoragePool', `${pool}-other`, {
          type: 'File',
          file: { path: '/shared/other', scope: 'Shared' },
        }),
        doc(evsApi, 'VolumeType', `${volumeType}-other`, {
          storagePoolRef: { name: `${pool}-other` },
        }),
        doc(ecsApi, 'Instance', 'elsewhere', {
          flavorRef: { name: flavor },
          imageRef: { name: 'img' },
          bootVolume: { volumeTypeRef: { name: `${volumeType}-other` } },
        }),
      ].join('---\n'),
    );
    const refused = await waitReady(getInstance('elsewhere'), 'False', 'VolumeFailed');
    expect(condition(refused, 'Scheduled')?.message).toMatch(
      /^Volume elsewhere-boot cannot be made: SourceInOtherPool: /,
    );
    for (const what of [
      ['-n', cluster.namespace, 'instances.ecs.kcloud.io/elsewhere'],
      ['-n', cluster.namespace, 'volumes.evs.kcloud.io/elsewhere-boot'],
      [`volumetypes.evs.kcloud.io/${volumeType}-other`, `storagepools.evs.kcloud.io/${pool}-other`],
    ]) {
      const r = await cluster.kubectl(['delete', '--ignore-not-found', '--timeout=120s', ...what]);
      expect(r.code).toBe(0);
    }
  });

  it('does not take over a Volume of the same name made for something else', async () => {
    await cluster.apply(doc(evsApi, 'Volume', 'taken-boot', { size: '1Gi' }));
    await waitReady(getVolume('taken-boot'), 'True');
    await cluster.apply(
      doc(ecsApi, 'Instance', 'taken', { flavorRef: { name: flavor }, imageRef: { name: 'img' } }),
    );
    const refused = await waitReady(getInstance('taken'), 'False', 'NameTaken');
    expect(refused.status?.phase).toBe('Failed');
    const v = await getVolume('taken-boot')();
    expect(v.spec.source).toBeUndefined();
    expect(v.metadata.ownerReferences ?? []).toEqual([]);
    await cluster.kubectl(['delete', '-n', cluster.namespace, 'instances.ecs.kcloud.io', 'taken']);
  });

  it('limits the interfaces it makes to its Flavor’s NIC bandwidth, and follows a new Flavor', async () => {
    const ns = cluster.namespace;
    const [capped, wider] = [`${ns}-capped`, `${ns}-wider`];
    for (const [name, mbps] of [
      [capped, 50],
      [wider, 80],
    ] as const) {
      await cluster.apply(
        doc(ecsApi, 'Flavor', name, { vcpu: 1, memory: '256Mi', nicBandwidthMbps: mbps }),
      );
    }
    const nics = clientFor<KubeObject & { spec: { bandwidth?: unknown } }>(world, {
      group: 'vpc.kcloud.io',
      version: 'v1alpha1',
      plural: 'networkinterfaces',
      namespaced: true,
      kind: 'NetworkInterface',
    });
    const limitOf = (name: string) => async () => (await nics.get(ns, name)).spec.bandwidth;
    const limitIs = (name: string, mbps: number) =>
      waitFor(
        async () =>
          JSON.stringify(await limitOf(name)().catch(() => null)) ===
          JSON.stringify({ egressMbps: mbps, ingressMbps: mbps }),
        {
          timeoutMs: 60_000,
          what: `${name} limited to ${String(mbps)} Mbit/s each way`,
          describe: async () => JSON.stringify(await limitOf(name)().catch(String)),
        },
      );
    const spec = (flavorName: string) => ({
      flavorRef: { name: flavorName },
      imageRef: { name: 'img' },
      networkInterfaces: [{ name: 'eth0', primary: true, subnetRef: { name: 'web' } }],
    });
    await cluster.apply(doc(ecsApi, 'Instance', 'capped-1', spec(capped)));
    await waitFor(
      async () => condition(await getInstance('capped-1')(), 'Scheduled')?.status === 'True',
      {
        timeoutMs: 120_000,
        what: 'capped-1 Scheduled (a Flavor with nicBandwidthMbps is no longer refused)',
        describe: async () => JSON.stringify((await getInstance('capped-1')()).status, null, 2),
      },
    );
    await limitIs('capped-1-eth0', 50);
    // A resize to a Flavor of another limit reaches the interface.
    await cluster.apply(doc(ecsApi, 'Instance', 'capped-1', spec(wider)));
    await limitIs('capped-1-eth0', 80);

    // An interface it names must be limited already.
    await cluster.apply(
      doc('vpc.kcloud.io/v1alpha1', 'NetworkInterface', 'mgmt', { subnetRef: { name: 'web' } }),
    );
    await cluster.apply(
      doc(ecsApi, 'Instance', 'named-1', {
        flavorRef: { name: capped },
        imageRef: { name: 'img' },
        networkInterfaces: [{ name: 'eth0', primary: true, networkInterfaceRef: { name: 'mgmt' } }],
      }),
    );
    const refused = await waitFor(
      async () => {
        const s = condition(await getInstance('named-1')(), 'Scheduled');
        return s?.reason === 'NicBandwidthNotLimited' ? s : undefined;
      },
      {
        timeoutMs: 60_000,
        what: 'named-1 refused for its unlimited interface',
        describe: async () => JSON.stringify((await getInstance('named-1')()).status, null, 2),
      },
    );
    expect(refused.status).toBe('False');
    expect(refused.message).toContain('NetworkInterface mgmt is not limited to the 50 Mbit/s');
    expect(
      (await getInstance('named-1')()).metadata.labels?.['ecs.kcloud.io/host'],
    ).toBeUndefined();
    // Limited, it is scheduled.
    await cluster.apply(
      doc('vpc.kcloud.io/v1alpha1', 'NetworkInterface', 'mgmt', {
        subnetRef: { name: 'web' },
        bandwidth: { egressMbps: 50, ingressMbps: 20 },
      }),
    );
    await waitFor(
      async () => condition(await getInstance('named-1')(), 'Scheduled')?.status === 'True',
      {
        timeoutMs: 60_000,
        what: 'named-1 Scheduled once mgmt is limited',
        describe: async () => JSON.stringify((await getInstance('named-1')()).status, null, 2),
      },
    );
    for (const name of ['capped-1', 'named-1']) {
      await cluster.kubectl(['delete', '-n', ns, 'instances.ecs.kcloud.io', name, '--wait=false']);
    }
    for (const name of ['capped-1', 'named-1']) {
      await waitFor(() => gone(getInstance(name)), { timeoutMs: 120_000, what: `${name} gone` });
    }
    await cluster.kubectl(['delete', 'flavors.ecs.kcloud.io', capped, wider]);
  });

  it('deletes what was made for it with it, and keeps a boot volume asked to be kept', async () => {
    await cluster.apply(
      doc(ecsApi, 'Instance', 'keeper', {
        flavorRef: { name: flavor },
        imageRef: { name: 'img' },
        keepBootVolume: true,
      }),
    );
    await waitReady(getAttachment('keeper-keeper-boot'), 'True');
    for (const name of ['web-1', 'keeper']) {
      const r = await cluster.kubectl([
        'delete',
        '-n',
        cluster.namespace,
        'instances.ecs.kcloud.io',
        name,
        '--timeout=60s',
      ]);
      expect(r.code).toBe(0);
    }
    await waitFor(
      async () =>
        (await gone(getVolume('web-1-boot'))) &&
        (await gone(getAttachment('web-1-web-1-boot'))) &&
        (await gone(getAttachment('keeper-keeper-boot')))
          ? true
          : undefined,
      { timeoutMs: 120_000, what: 'web-1’s boot volume and both attachments deleted' },
    );
    const kept = await waitFor(
      async () => {
        const v = await getVolume('keeper-boot')();
        return v.status?.phase === 'Available' ? v : undefined;
      },
      { timeoutMs: 60_000, what: 'keeper’s boot volume kept and Available' },
    );
    expect(kept.metadata.ownerReferences ?? []).toEqual([]);
  });
});
