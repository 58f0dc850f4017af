// Two hosts on one machine, each an agent with its own chassis (ovs-vswitchd and
// ovn-controller in a network namespace of its own) joined by Geneve tunnels: an instance on
// each host, both booted from one image in a Shared pool, take their addresses by DHCP and
// talk to each other across the overlay; a namespace on the first chassis reaches both. An
// instance booted from the run's Ceph (RBD) is moved off a host that is lost, the lost host
// fenced first, at the storage and in the network: its interface's port is bound only by the
// new host's chassis while the old VM still runs on the lost one.
import { copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { repoRoot } from '../../../hack/cluster/index.ts';
import { guestDir, readDemoGuest } from '../../../hack/guest/index.ts';
import {
  connection,
  dataPlaneNetns,
  down,
  nbctl,
  ovnLayout,
  sbctl,
  startGuest,
  up,
  upChassis,
  vsctl,
  type Chassis,
  type Guest,
  type OvnLayout,
} from '../../../hack/ovn/index.ts';
import { existsSync } from 'node:fs';
import { findVmProcess, runPaths } from '../../../operators/ecs/backend/qemu/index.ts';
import { addEvacuationController, addInstanceController } from '../../../operators/ecs/index.ts';
import { addVpcOperator, requestedChassisAnnotation } from '../../../operators/vpc/index.ts';
import { CephFixture } from '../../harness/ceph.ts';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import { requireTools, sha256 } from '../evs/backend/pool-fixtures.ts';
import { doc, ecsApi, evsApi, startEvsWorld, type EvsWorld } from '../evs/evs-fixture.ts';
import { ping } from '../vpc/dataplane-fixture.ts';
import { guestExec, killLeftVms } from './vm-fixture.ts';

const cluster = useTestCluster('ecs-2h');
const ceph = new CephFixture('ecs2h');
const vpcApi = 'vpc.kcloud.io/v1alpha1';
let layout: OvnLayout;
let second: Chassis;
let world: EvsWorld;
let probe: Guest;
let ns = '';
const hosts = () => world.hosts;
const stateDir = (host: string) => path.join(world.roots[host] ?? '', 'state', 'ecs');

interface InstanceView {
  metadata?: { uid?: string };
  status?: {
    phase?: string;
    host?: string;
    lastEvacuation?: { fromHost?: string; hostLostAt?: string; time?: string };
    interfaces?: { ipAddresses?: string[] }[];
    conditions?: { type: string; status: string }[];
  };
}

const readInstance = async (name: string) =>
  (await cluster.read({ apiVersion: ecsApi, kind: 'Instance', name })) as unknown as InstanceView;

async function running(name: string): Promise<InstanceView> {
  let last: InstanceView | undefined;
  return waitFor(
    async () => {
      last = await readInstance(name);
      const ready = last.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'True' && last.status?.phase === 'Running' ? last : undefined;
    },
    {
      timeoutMs: 240_000,
      what: `Instance ${name} Ready and Running`,
      describe: () => JSON.stringify(last?.status),
    },
  );
}

/** An OVSDB string as ovn-nbctl and ovn-sbctl print it: bare, or quoted when it must be. */
const ovsdbString = (out: string) => {
  const t = out.trim();
  return t.startsWith('"') ? (JSON.parse(t) as string) : t;
};

/** The OVN port of an instance's interface. */
async function portOf(instance: string): Promise<string> {
  const nic = await cluster.read({
    apiVersion: vpcApi,
    kind: 'NetworkInterface',
    name: `${instance}-eth0`,
  });
  return String((nic.status as Record<string, unknown>).portName);
}

/** The chassis SB's Port_Binding of a port names ('' when none binds it). */
async function boundChassis(port: string): Promise<string> {
  const r = await sbctl(layout, [
    '--bare',
    '--columns=chassis',
    'find',
    'Port_Binding',
    `logical_port=${port}`,
  ]);
  const uuid = r.stdout.trim();
  if (uuid === '') return '';
  return ovsdbString((await sbctl(layout, ['get', 'Chassis', uuid, 'name'])).stdout);
}

/**
 * The fence of an interface: the annotation the manager set on its
 * NetworkInterface, and what VPC wrote into its port ('' when none).
 */
async function fenceOf(networkInterface: string): Promise<{ annotation: string; nb: string }> {
  const nic = await cluster.read({
    apiVersion: vpcApi,
    kind: 'NetworkInterface',
    name: networkInterface,
  });
  const port = String((nic.status as Record<string, unknown>).portName);
  const nb = await nbctl(layout, [
    '--if-exists',
    'get',
    'Logical_Switch_Port',
    port,
    'options:requested-chassis',
  ]);
  return {
    annotation: nic.metadata?.annotations?.[requestedChassisAnnotation] ?? '',
    nb: ovsdbString(nb.stdout),
  };
}

async function fencedTo(instance: string, chassis: string): Promise<void> {
  let last: unknown;
  await waitFor(
    async () => {
      const f = await fenceOf(`${instance}-eth0`);
      last = f;
      return f.annotation === chassis && f.nb === chassis;
    },
    {
      timeoutMs: 30_000,
      what: `${instance}'s port fenced to ${chassis}`,
      describe: () => JSON.stringify(last),
    },
  );
  const condition = (await readInstance(instance)).status?.conditions?.find(
    (c) => c.type === 'NetworkFenced',
  );
  expect(condition?.status).toBe('True');
}

async function guestAgentConnected(name: string): Promise<void> {
  await waitFor(
    async () =>
      (await readInstance(name)).status?.conditions?.some(
        (c) => c.type === 'GuestAgentConnected' && c.status === 'True',
      ),
    { timeoutMs: 120_000, what: `${name} GuestAgentConnected=True` },
  );
}

/** Runs a command in the guest through its agent; whether it exited 0. */
async function guestRun(host: string, uid: string, argv: string[]): Promise<boolean> {
  return (await guestExec(stateDir(host), uid, argv, 20_000)).exitCode === 0;
}

beforeAll(async () => {
  ns = cluster.namespace;
  await requireTools(['qemu-system-x86_64', 'qemu-img', 'mformat', 'mcopy', 'nsenter', 'ip']);
  const guest = await readDemoGuest(guestDir());
  const base = path.join(repoRoot, '.local', 'test-runs');
  await mkdir(base, { recursive: true });
  layout = ovnLayout(await mkdtemp(path.join(base, 'ovn-2h-')));
  await up(layout, { dataPlane: true, chassis: 'kcloud-2h-a' });
  second = await upChassis(layout, { name: 'kcloud-2h-b' });
  const conn = await connection(layout);
  const first = await dataPlaneNetns(layout);
  const h1 = `${ns}-h1`;
  const h2 = `${ns}-h2`;
  world = await startEvsWorld(cluster, 2, {
    controllers: (mgr) => {
      addInstanceController(mgr, {
        policy: 'Spread',
        hostsNamespace: `${cluster.namespace}-hosts`,
      });
      // As the fixture's host lifecycle: lost 2 s after the Lease (4 s) runs out; fenced 15 s
      // on, long enough that a heartbeat late on a busy machine moves nothing.
      addEvacuationController(mgr, {
        hostsNamespace: `${cluster.namespace}-hosts`,
        heartbeatGraceMs: 2_000,
        evacuationGraceMs: 15_000,
      });
      addVpcOperator(mgr, { nbEndpoints: [conn.nb.unix] });
    },
    agentArgs: ['--vm-stop-timeout=10s'],
    agentArgsFor: (host) =>
      host === h1
        ? [`--vm-netns=${first}`, `--ovs-db=unix:${layout.vswitch.socket}`]
        : host === h2
          ? [`--vm-netns=${second.netns}`, `--ovs-db=unix:${second.layout.vswitch.socket}`]
          : [],
  });
  await mkdir(path.join(world.work, 'shared-fs', 'pool'), { recursive: true });
  await copyFile(guest.image, path.join(world.roots[h1] ?? '', 'import', 'demo.qcow2'));
  // An RBD pool of the run's Ceph, its key in the hosts namespace for the agents.
  const cephPool = await ceph.pool();
  const user = await ceph.user(cephPool);
  const monitor = /v1:([0-9.]+:[0-9]+)/.exec((await ceph.info()).monHost)?.[1];
  if (!monitor) throw new Error('the run’s Ceph reports no v1 monitor address');
  await cluster.apply(
    `apiVersion: v1\nkind: Secret\nmetadata: {name: ${ns}-ceph, namespace: ${world.hostsNs}}\n` +
      `data: {key: ${Buffer.from(user.key).toString('base64')}}\n`,
  );
  const imageSource = {
    hostFile: { host: h1, path: '/import/demo.qcow2', sha256: await sha256(guest.image) },
  };
  await cluster.apply(
    [
      doc(evsApi, 'StoragePool', `${ns}-rbd`, {
        type: 'RBD',
        rbd: {
          monitors: [monitor],
          pool: cephPool,
          user: user.id,
          secretRef: { name: `${ns}-ceph`, namespace: world.hostsNs },
        },
      }),
      doc(evsApi, 'VolumeType', `${ns}-rbd`, { storagePoolRef: { name: `${ns}-rbd` } }),
      doc(ecsApi, 'Image', 'demo-rbd', {
        source: imageSource,
        storagePoolRef: { name: `${ns}-rbd` },
      }),
      doc(evsApi, 'StoragePool', `${ns}-shared`, {
        type: 'File',
        file: { path: '/shared/pool', scope: 'Shared' },
      }),
      doc(evsApi, 'VolumeType', `${ns}-shared`, {
        storagePoolRef: { name: `${ns}-shared` },
        default: true,
      }),
      doc(ecsApi, 'Flavor', `${ns}-tiny`, { vcpu: 1, memory: '256Mi' }),
      doc(ecsApi, 'Image', 'demo', {
        source: imageSource,
        storagePoolRef: { name: `${ns}-shared` },
      }),
      doc(vpcApi, 'VPC', 'net', { cidrBlocks: ['10.30.0.0/16'] }),
      doc(vpcApi, 'Subnet', 'web', { vpcRef: { name: 'net' }, cidrBlock: '10.30.1.0/24' }),
      doc(vpcApi, 'SecurityGroup', 'web', {
        vpcRef: { name: 'net' },
        rules: [
          { name: 'icmp', direction: 'Ingress', protocol: 'ICMP', remoteCIDR: '10.30.0.0/16' },
        ],
      }),
      doc(vpcApi, 'NetworkInterface', 'probe', { subnetRef: { name: 'web' } }),
    ].join('---\n'),
  );
  for (const image of ['demo', 'demo-rbd']) {
    await cluster.waitForCondition(
      { apiVersion: ecsApi, kind: 'Image', name: image },
      'Ready',
      'True',
      120_000,
    );
  }
  const nic = await cluster.waitForCondition(
    { apiVersion: vpcApi, kind: 'NetworkInterface', name: 'probe' },
    'Ready',
  );
  const s = nic.status as Record<string, string | number>;
  probe = await startGuest(layout, {
    name: 'probe2h',
    ifaceId: String(s.portName),
    mac: String(s.macAddress),
    address: `${String(s.ipAddress)}/${String(s.prefixLength)}`,
    gateway: String(s.gatewayIP),
  });
}, 600_000);

afterAll(async () => {
  const problems: unknown[] = [];
  const attempt = async (step: () => Promise<unknown>) => {
    try {
      await step();
    } catch (err) {
      problems.push(err);
    }
  };
  // VMs a failed test left behind are killed by their pid (QEMU outlives the agents).
  await attempt(() => killLeftVms(world.hosts.map(stateDir)));
  await attempt(() => probe.close());
  await attempt(() =>
    cluster.kubectl(['delete', 'instances.ecs.kcloud.io', '--all', '-n', ns, '--timeout=120s']),
  );
  await attempt(() =>
    world.deleteAll([
      `volumetypes.evs.kcloud.io/${ns}-shared`,
      `storagepools.evs.kcloud.io/${ns}-shared`,
      `volumetypes.evs.kcloud.io/${ns}-rbd`,
      `storagepools.evs.kcloud.io/${ns}-rbd`,
      `flavors.ecs.kcloud.io/${ns}-tiny`,
    ]),
  );
  await attempt(() => world.stop());
  await attempt(() => down(layout, { purge: true }));
  await attempt(() => ceph.cleanup());
  if (problems.length > 0) throw new AggregateError(problems, 'tearing the two-host test down');
}, 300_000);

describe('instances on two hosts', () => {
  it('fences the port of an interface its user annotates to the chassis named, and refuses what is not one chassis name', async () => {
    const ref = { apiVersion: vpcApi, kind: 'NetworkInterface', name: 'pinned' };
    // A comma would make a list in OVN (a port claimed by several chassis): refused, unwritten.
    await cluster.apply(
      `apiVersion: ${vpcApi}\nkind: NetworkInterface\n` +
        `metadata: {name: pinned, annotations: {${requestedChassisAnnotation}: 'kcloud-2h-a,kcloud-2h-b'}}\n` +
        `spec: {subnetRef: {name: web}}\n`,
    );
    await cluster.waitForCondition(ref, 'Ready', 'False', 60_000, 'InvalidRequestedChassis');
    const listed = await nbctl(layout, [
      '--bare',
      '--columns=name',
      'find',
      'Logical_Switch_Port',
      'options:requested-chassis="kcloud-2h-a,kcloud-2h-b"',
    ]);
    expect(listed.stdout.trim()).toBe('');
    expect((await cluster.read(ref)).status?.portName).toBeUndefined();
    const annotate = (value: string) =>
      cluster.kubectl([
        'annotate',
        '--overwrite',
        '-n',
        ns,
        'networkinterface.vpc.kcloud.io/pinned',
        value,
      ]);
    await annotate(`${requestedChassisAnnotation}=kcloud-2h-b`);
    await cluster.waitForCondition(ref, 'Ready', 'True', 60_000);
    await waitFor(async () => (await fenceOf('pinned')).nb === 'kcloud-2h-b', {
      timeoutMs: 30_000,
      what: 'the pinned port fenced to kcloud-2h-b',
    });
    // Taken off: any chassis may bind it again.
    await annotate(`${requestedChassisAnnotation}-`);
    await waitFor(async () => (await fenceOf('pinned')).nb === '', {
      timeoutMs: 30_000,
      what: 'the pinned port fenced to no chassis',
    });
    await cluster.kubectl([
      'delete',
      'networkinterface.vpc.kcloud.io/pinned',
      '-n',
      ns,
      '--timeout=60s',
    ]);
  }, 180_000);

  it('run one on each host and talk across the Geneve overlay', async () => {
    for (const [i, host] of hosts().entries()) {
      await cluster.apply(
        doc(ecsApi, 'Instance', `vm-${String(i + 1)}`, {
          flavorRef: { name: `${ns}-tiny` },
          imageRef: { name: 'demo' },
          networkInterfaces: [
            {
              name: 'eth0',
              primary: true,
              subnetRef: { name: 'web' },
              securityGroupRefs: [{ name: 'web' }],
            },
          ],
          placement: { hostSelector: { 'ecs.kcloud.io/host': host } },
        }),
      );
    }
    const [a, b] = [await running('vm-1'), await running('vm-2')];
    const [h1 = '', h2 = ''] = hosts();
    expect([a.status?.host, b.status?.host]).toEqual([h1, h2]);
    const ipA = a.status?.interfaces?.[0]?.ipAddresses?.[0] ?? '';
    const ipB = b.status?.interfaces?.[0]?.ipAddresses?.[0] ?? '';
    // Each VM's port is bound to its own host's chassis, and fenced to it.
    const chassisOf = async (instance: string) => boundChassis(await portOf(instance));
    expect(await chassisOf('vm-1')).toBe('kcloud-2h-a');
    expect(await chassisOf('vm-2')).toBe('kcloud-2h-b');
    // Each agent reports its Open vSwitch's system-id as its host's chassis.
    const hostChassis = async (name: string) =>
      (
        (await cluster.read({ apiVersion: ecsApi, kind: 'Host', name })).status as {
          chassis?: string;
        }
      ).chassis;
    expect(await hostChassis(h1)).toBe('kcloud-2h-a');
    expect(await hostChassis(h2)).toBe('kcloud-2h-b');
    // The annotation is set before the binding hands the instance to its host.
    expect((await fenceOf('vm-1-eth0')).annotation).toBe('kcloud-2h-a');
    expect((await fenceOf('vm-2-eth0')).annotation).toBe('kcloud-2h-b');
    await fencedTo('vm-1', 'kcloud-2h-a');
    await fencedTo('vm-2', 'kcloud-2h-b');
    // An interface no instance runs with (the probe's namespace) is any chassis' to bind.
    expect(await fenceOf('probe')).toEqual({ annotation: '', nb: '' });
    for (const ip of [ipA, ipB]) {
      await waitFor(() => ping(probe, ip), {
        timeoutMs: 180_000,
        intervalMs: 1_000,
        what: `${ip} to answer the probe`,
      });
    }
    // Guest to guest, across hosts: each pings the other from inside.
    await waitFor(
      () => guestRun(h1, a.metadata?.uid ?? '', ['/bin/sh', '-c', `ping -c 1 -W 2 ${ipB}`]),
      {
        timeoutMs: 60_000,
        what: `vm-1 (on ${h1}) to reach vm-2 at ${ipB}`,
      },
    );
    await waitFor(
      () => guestRun(h2, b.metadata?.uid ?? '', ['/bin/sh', '-c', `ping -c 1 -W 2 ${ipA}`]),
      {
        timeoutMs: 60_000,
        what: `vm-2 (on ${h2}) to reach vm-1 at ${ipA}`,
      },
    );
    // The second VM's tap is in the second chassis' br-int, not the first's.
    const tapsOn = async (l: OvnLayout) =>
      (
        await vsctl(l, [
          '--bare',
          '--columns=name',
          'find',
          'Interface',
          `external_ids:kcloud-vm=${b.metadata?.uid ?? ''}`,
        ])
      ).stdout.trim();
    expect(await tapsOn(second.layout)).toMatch(/^kt[0-9a-f]{12}$/);
    expect(await tapsOn(layout)).toBe('');
  }, 600_000);

  it('moves the RBD-backed instance of a lost host to the other one, fenced at the storage, with its disk and address; the host, back, kills the VM it kept', async () => {
    const [h1 = '', h2 = ''] = hosts();
    // vm-2 was pinned to the second host; vm-3 may run anywhere, and Spread puts it there.
    await cluster.kubectl(['delete', 'instance', 'vm-2', '-n', ns, '--timeout=120s']);
    await cluster.apply(
      doc(ecsApi, 'Instance', 'vm-3', {
        flavorRef: { name: `${ns}-tiny` },
        imageRef: { name: 'demo-rbd' },
        bootVolume: { volumeTypeRef: { name: `${ns}-rbd` } },
        networkInterfaces: [
          {
            name: 'eth0',
            primary: true,
            subnetRef: { name: 'web' },
            securityGroupRefs: [{ name: 'web' }],
          },
        ],
      }),
    );
    const before = await running('vm-3');
    expect(before.status?.host).toBe(h2);
    await fencedTo('vm-3', 'kcloud-2h-b');
    const port = await portOf('vm-3');
    const uid = before.metadata?.uid ?? '';
    // Running comes with QEMU; the guest's own agent answers once its userland is up.
    await guestAgentConnected('vm-3');
    const ip = before.status?.interfaces?.[0]?.ipAddresses?.[0] ?? '';
    // A mark near the end of its boot disk, flushed to the volume (fsync: QEMU writes a new
    // cluster's mapping on a flush; without one a killed QEMU loses the write, as a disk would).
    const sectors = Number(
      (await guestExec(stateDir(h2), uid, ['/bin/cat', '/sys/block/vda/size'])).stdout.trim(),
    );
    const at = String(sectors - 8);
    const late = String(sectors - 16);
    const write = (host: string, text: string, sector: string) =>
      guestExec(stateDir(host), uid, [
        '/bin/sh',
        '-c',
        `printf ${text} | dd of=/dev/vda bs=512 seek=${sector} oflag=direct conv=notrunc,fsync 2>&1`,
      ]);
    const wrote = await write(h2, 'kcloud-mark', at);
    expect(wrote.exitCode).toBe(0);
    const oldPid = await findVmProcess(runPaths(stateDir(h2), uid).pidFile, uid);
    expect(oldPid).toBeDefined();

    // The second host is cut off: its agent stops answering (SIGSTOP), its VM runs on.
    const agent2 = world.agents[h2];
    const agentPid = agent2?.child.pid;
    if (agentPid === undefined) throw new Error(`no agent process for ${h2}`);
    process.kill(agentPid, 'SIGSTOP');
    const cut = Date.now();
    const since = () => `${((Date.now() - cut) / 1000).toFixed(1)} s`;
    const marks: string[] = [];
    let resumed = false;
    try {
      await waitFor(
        async () =>
          (
            await cluster.read({ apiVersion: ecsApi, kind: 'Host', name: h2 })
          ).status?.conditions?.some((c) => c.type === 'Fenced' && c.status === 'True'),
        { timeoutMs: 60_000, what: `Host ${h2} Fenced=True` },
      );
      marks.push(`fenced ${since()}`);
      // Moved: bound to the first host, the move recorded.
      const moved = await waitFor(
        async () => {
          const i = await readInstance('vm-3');
          return i.status?.host === h1 ? i : undefined;
        },
        { timeoutMs: 60_000, what: `vm-3 bound to ${h1}` },
      );
      expect(moved.status?.lastEvacuation?.fromHost).toBe(h2);
      expect(moved.status?.lastEvacuation?.time).toBeDefined();
      // The move is an event on the instance (the recorder writes events in the background).
      await waitFor(
        async () => (await cluster.eventsFor('vm-3')).some((e) => e.reason === 'Evacuated'),
        { timeoutMs: 30_000, what: 'an Evacuated event on vm-3' },
      );
      // The old VM's Ceph client is cut off (blocklisted) before the volume is attached on the
      // first host: the new VM boots there while the old one, on the lost host, still runs.
      await waitFor(
        async () =>
          (await cluster.eventsFor('vm-3-vm-3-boot')).some((e) => e.reason === 'ClientsFenced'),
        { timeoutMs: 60_000, what: 'a ClientsFenced event on the attachment of vm-3 on h1' },
      );
      const moving = await running('vm-3');
      marks.push(`running on ${h1} ${since()}`);
      expect(moving.status?.host).toBe(h1);
      expect(await findVmProcess(runPaths(stateDir(h2), uid).pidFile, uid)).toBe(oldPid);
      // What the old one writes now never reaches the volume (refused, or never answered).
      // The network: the fence moved with the binding, to the first host's chassis; the
      // second's ovn-controller runs on and its br-int still holds the old VM's tap, but cannot
      // take the port back. Read over several seconds, while the moved VM answers ping.
      await fencedTo('vm-3', 'kcloud-2h-a');
      const oldTap = await vsctl(second.layout, [
        '--bare',
        '--columns=name',
        'find',
        'Interface',
        `external_ids:iface-id=${port}`,
      ]);
      expect(oldTap.stdout.trim()).toMatch(/^kt[0-9a-f]{12}$/);
      const oldController = second.processes.find((p) => p.name === 'ovn-controller');
      if (!oldController) {
        throw new Error(
          `no ovn-controller among the second chassis' processes: ${second.processes.map((p) => p.name).join(', ')}`,
        );
      }
      await waitFor(() => ping(probe, ip), {
        timeoutMs: 180_000,
        intervalMs: 1_000,
        what: `${ip} to answer from ${h1} while ${h2} is cut off`,
      });
      marks.push(`answering ping while ${h2} is cut off ${since()}`);
      const rounds: { bound: string; answered: boolean; oldControllerRuns: boolean }[] = [];
      const watched = Date.now();
      for (let round = 0; round < 10; round++) {
        let oldControllerRuns = true;
        try {
          process.kill(oldController.pid, 0);
        } catch {
          oldControllerRuns = false;
        }
        const bound = await boundChassis(port);
        const answered =
          (
            await probe.exec(['ping', '-n', '-q', '-c', '2', '-i', '0.5', '-W', '2', ip], {
              timeoutMs: 10_000,
            })
          ).code === 0;
        rounds.push({ bound, answered, oldControllerRuns });
        await sleep(500);
      }
      console.log(
        `port of vm-3 over ${((Date.now() - watched) / 1000).toFixed(1)} s while ${h2} is cut off, its VM running: ${rounds.map((r) => `${r.bound}/${r.answered ? 'ping' : 'no answer'}`).join(' ')}`,
      );
      expect(rounds).toEqual(
        Array.from({ length: 10 }, () => ({
          bound: 'kcloud-2h-a',
          answered: true,
          oldControllerRuns: true,
        })),
      );
      expect(await findVmProcess(runPaths(stateDir(h2), uid).pidFile, uid)).toBe(oldPid);
      const stale = await write(h2, 'kcloud-stale', late).catch((err: unknown) => ({
        exitCode: -1,
        stdout: String(err),
      }));
      expect(stale.exitCode).not.toBe(0);

      // Back: the agent sees the instance gone from its host and kills the VM it kept.
      process.kill(agentPid, 'SIGCONT');
      resumed = true;
      await waitFor(
        async () =>
          (await findVmProcess(runPaths(stateDir(h2), uid).pidFile, uid)) === undefined &&
          !existsSync(runPaths(stateDir(h2), uid).dir),
        { timeoutMs: 60_000, what: `the old VM of vm-3 on ${h2} killed and removed` },
      );
    } finally {
      if (!resumed) process.kill(agentPid, 'SIGCONT');
    }
    const after = await running('vm-3').catch(async (err: unknown) => {
      // Its disks' state, for whoever reads the failure.
      const dump = await cluster.kubectl([
        'get',
        'volumeattachments.evs.kcloud.io,volumes.evs.kcloud.io',
        '-n',
        ns,
        '-o',
        'yaml',
      ]);
      throw new Error(`${String(err)}\nvolumes and attachments:\n${dump.stdout}`);
    });
    expect(after.status?.host).toBe(h1);
    expect(after.status?.interfaces?.[0]?.ipAddresses?.[0]).toBe(ip);
    await waitFor(() => ping(probe, ip), {
      timeoutMs: 180_000,
      intervalMs: 1_000,
      what: `${ip} to answer from ${h1}`,
    });
    marks.push(`answering ping ${since()}`);
    // Lease 4 s, heartbeat grace 2 s, evacuation grace 15 s: 21 s of it is waiting by design.
    console.log(`agent of ${h2} frozen → ${marks.join(', ')}`);
    // The same volume: the mark is there, and nothing the fenced VM tried to write.
    const read = async (sector: string, bytes: number) =>
      (
        await guestExec(stateDir(h1), uid, [
          '/bin/sh',
          '-c',
          `dd if=/dev/vda bs=512 skip=${sector} count=1 iflag=direct 2>/dev/null | head -c ${String(bytes)}`,
        ])
      ).stdout;
    expect(await read(at, 11)).toBe('kcloud-mark');
    expect(await read(late, 12)).not.toBe('kcloud-stale');
    await waitFor(
      async () =>
        (
          (await cluster.read({ apiVersion: ecsApi, kind: 'Host', name: h2 })).status
            ?.conditions as { type: string; status: string; reason: string }[] | undefined
        )?.some((c) => c.type === 'Fenced' && c.status === 'False' && c.reason === 'HeartbeatBack'),
      { timeoutMs: 60_000, what: `Host ${h2} Fenced=False HeartbeatBack` },
    );
  }, 600_000);
});
