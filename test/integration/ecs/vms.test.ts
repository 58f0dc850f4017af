// ECS instances as real VMs: the manager (ecs, evs and vpc operators) against the real API
// server and a real OVN with its data plane, and a real agent that runs the demo guest with
// QEMU (TCG), its boot volume in a file pool, its NIC a tap in br-int. The guest takes its
// address by OVN's DHCP and answers ping from a namespace in the same Subnet; it is restarted
// when its QEMU dies, keeps running while the agent is away (and is adopted again), stops and
// starts with powerState, and leaves nothing behind when deleted.
import { copyFile, mkdir, mkdtemp, readFile, readlink } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { repoRoot } from '../../../hack/cluster/index.ts';
import { vncLogin } from '../../../hack/demo/vnc-login.ts';
import { guestDir, readDemoGuest } from '../../../hack/guest/index.ts';
import {
  connection,
  dataPlaneNetns,
  down,
  ovnLayout,
  startGuest,
  up,
  vsctl,
  type Guest,
  type OvnLayout,
} from '../../../hack/ovn/index.ts';
import {
  addInstanceController,
  addInstanceOperationController,
} from '../../../operators/ecs/index.ts';
import { findVmProcess, runPaths } from '../../../operators/ecs/backend/qemu/index.ts';
import { diskId } from '../../../operators/ecs/handler/index.ts';
import { addVpcOperator } from '../../../operators/vpc/index.ts';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import { requireTools, sha256 } from '../evs/backend/pool-fixtures.ts';
import { doc, ecsApi, evsApi, startEvsWorld, type EvsWorld } from '../evs/evs-fixture.ts';
import { ping } from '../vpc/dataplane-fixture.ts';
import { guestExec, killLeftVms } from './vm-fixture.ts';

const cluster = useTestCluster('ecs-vm');
const execFileAsync = promisify(execFile);
const vpcApi = 'vpc.kcloud.io/v1alpha1';
let layout: OvnLayout;
let world: EvsWorld;
let host = '';
let probe: Guest;
let probe2: Guest;
// The test namespace is gone by the time this file's afterAll runs: names are fixed up front.
let ns = '';
const flavor = () => `${ns}-tiny`;
const pool = () => `${ns}-local`;
const volumeType = () => `${ns}-normal`;
const ref = (kind: string, name: string) => ({
  apiVersion: kind === 'NetworkInterface' || kind === 'Subnet' ? vpcApi : ecsApi,
  kind,
  name,
});

interface InstanceView {
  metadata?: { uid?: string };
  status?: {
    phase?: string;
    bootTime?: string;
    interfaces?: { ipAddresses?: string[]; macAddress?: string }[];
    conditions?: { type: string; status: string; reason?: string }[];
    console?: { vncEndpoint?: string };
    vncPasswordSecretRef?: { name: string };
  };
}

const instance = async (name: string) =>
  (await cluster.read(ref('Instance', name))) as unknown as InstanceView;
const stateDir = () => path.join(world.roots[host] ?? '', 'state', 'ecs');
/** The VM's cgroup in the host's cgroup v1 cpu hierarchy (the agent's defaults). */
const cgroupOf = (uid: string) => path.join('/sys/fs/cgroup/cpu/kcloud-vms', uid);
const qemuPid = async (uid: string) => {
  const p = runPaths(stateDir(), uid);
  return findVmProcess(p.pidFile, uid);
};

/** A merge patch of vm-1's spec, as a user would send it with kubectl. */
async function patchVm(spec: Record<string, unknown>): Promise<void> {
  const r = await cluster.kubectl([
    'patch',
    'instance',
    'vm-1',
    '-n',
    cluster.namespace,
    '--type=merge',
    '-p',
    JSON.stringify({ spec }),
  ]);
  if (r.code !== 0) throw new Error(`patching vm-1: ${r.stderr}`);
}

/** Waits for the instance to be Ready in the given phase, and returns it. */
async function readyIn(name: string, phase: string, timeoutMs = 240_000): Promise<InstanceView> {
  let last: InstanceView | undefined;
  return waitFor(
    async () => {
      last = await instance(name);
      const ready = last.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'True' && last.status?.phase === phase ? last : undefined;
    },
    {
      timeoutMs,
      what: `Instance ${name} Ready and ${phase}`,
      describe: () => JSON.stringify(last?.status),
    },
  );
}

/** Runs a command in the guest through its agent; its standard output. */
async function guestRun(uid: string, argv: string[]): Promise<string> {
  const r = await guestExec(stateDir(), uid, argv);
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')} in the guest: ${r.stderr}`);
  return r.stdout.trim();
}

/** crypt(3) SHA-512 of a password with a salt, as /etc/shadow holds it. */
async function cryptSha512(password: string, salt: string): Promise<string> {
  const { stdout } = await execFileAsync('openssl', ['passwd', '-6', '-salt', salt, password]);
  return stdout.trim();
}

/** The guest's virtio disks by serial, with their size in sectors, through its guest agent. */
async function guestDisks(uid: string): Promise<Map<string, number>> {
  const r = await guestExec(stateDir(), uid, [
    '/bin/sh',
    '-c',
    'for d in /sys/block/vd*; do echo "$(cat $d/serial) $(cat $d/size)"; done',
  ]);
  return new Map(
    r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [serial = '', size = '0'] = l.split(' ');
        return [serial, Number(size)] as const;
      }),
  );
}

/** The VNC password in the instance's Secret, as its owner reads it. */
async function vncPassword(secret: string): Promise<string> {
  const r = await cluster.kubectl([
    'get',
    'secret',
    secret,
    '-n',
    cluster.namespace,
    '-o',
    'jsonpath={.data.password}',
  ]);
  return Buffer.from(r.stdout.trim(), 'base64').toString('latin1');
}

/** Logs in to the VM's VNC where it listens: QEMU's network namespace, the agent's. */
async function vnc(uid: string, endpoint: string, password: string) {
  const pid = await qemuPid(uid);
  if (pid === undefined) throw new Error(`no QEMU for VM ${uid}`);
  return vncLogin(`/proc/${String(pid)}/ns/net`, endpoint, password);
}

const answers = (ip: string, timeoutMs = 180_000, from?: Guest) =>
  waitFor(() => ping(from ?? probe, ip), {
    timeoutMs,
    intervalMs: 1_000,
    what: `${ip} to answer ping`,
  });

beforeAll(async () => {
  await requireTools(['qemu-system-x86_64', 'qemu-img', 'mformat', 'mcopy', 'nsenter', 'ip']);
  ns = cluster.namespace;
  const guest = await readDemoGuest(guestDir());
  const base = path.join(repoRoot, '.local', 'test-runs');
  await mkdir(base, { recursive: true });
  layout = ovnLayout(await mkdtemp(path.join(base, 'ovn-vm-')));
  await up(layout, { dataPlane: true, chassis: 'kcloud-vm-test' });
  const conn = await connection(layout);
  world = await startEvsWorld(cluster, 1, {
    controllers: (mgr) => {
      addInstanceController(mgr, { policy: 'Spread', hostsNamespace: `${ns}-hosts` });
      addInstanceOperationController(mgr, { hostsNamespace: `${ns}-hosts` });
      addVpcOperator(mgr, { nbEndpoints: [conn.nb.unix] });
    },
    agentArgs: [
      `--vm-netns=${await dataPlaneNetns(layout)}`,
      `--ovs-db=unix:${layout.vswitch.socket}`,
      '--vm-stop-timeout=20s',
      // The test's 256 MiB VM gets room for memory hot-plug, and its 64 MiB bounce buffers.
      '--vm-memory-room-from=0',
    ],
  });
  [host = ''] = world.hosts;
  await copyFile(guest.image, path.join(world.roots[host] ?? '', 'import', 'demo.qcow2'));
  await cluster.apply(
    [
      doc(evsApi, 'StoragePool', pool(), {
        type: 'File',
        file: { path: '/pools/local', scope: 'Local' },
      }),
      // Limits high enough not to slow the guest, and checked in QEMU's own configuration.
      doc(evsApi, 'VolumeType', volumeType(), {
        storagePoolRef: { name: pool() },
        default: true,
        qos: { iops: { base: 4000 }, bytesPerSecond: { base: 200_000_000 } },
      }),
      doc(ecsApi, 'Flavor', flavor(), { vcpu: 1, memory: '256Mi' }),
      doc(ecsApi, 'Image', 'demo', {
        source: {
          hostFile: { host, path: '/import/demo.qcow2', sha256: await sha256(guest.image) },
        },
        storagePoolRef: { name: pool() },
      }),
      doc(vpcApi, 'VPC', 'net', { cidrBlocks: ['10.20.0.0/16'] }),
      doc(vpcApi, 'Subnet', 'web', { vpcRef: { name: 'net' }, cidrBlock: '10.20.1.0/24' }),
      doc(vpcApi, 'SecurityGroup', 'web', {
        vpcRef: { name: 'net' },
        rules: [
          { name: 'icmp', direction: 'Ingress', protocol: 'ICMP', remoteCIDR: '10.20.0.0/16' },
          {
            name: 'http',
            direction: 'Ingress',
            protocol: 'TCP',
            ports: { from: 80, to: 80 },
            remoteCIDR: '10.20.0.0/16',
          },
        ],
      }),
      doc(vpcApi, 'Subnet', 'db', { vpcRef: { name: 'net' }, cidrBlock: '10.20.2.0/24' }),
      doc(vpcApi, 'NetworkInterface', 'probe', { subnetRef: { name: 'web' } }),
      doc(vpcApi, 'NetworkInterface', 'probe2', { subnetRef: { name: 'db' } }),
    ].join('---\n'),
  );
  const plug = async (name: string) => {
    const nic = await cluster.waitForCondition(ref('NetworkInterface', name), 'Ready');
    const s = nic.status as Record<string, string | number>;
    return startGuest(layout, {
      name,
      ifaceId: String(s.portName),
      mac: String(s.macAddress),
      address: `${String(s.ipAddress)}/${String(s.prefixLength)}`,
      gateway: String(s.gatewayIP),
    });
  };
  probe = await plug('probe');
  // Neighbour entries from gratuitous ARP too (the guest announces its address).
  const accept = await probe.exec(['sh', '-c', 'echo 1 > /proc/sys/net/ipv4/conf/all/arp_accept']);
  if (accept.code !== 0) throw new Error(`arp_accept in the probe: ${accept.stderr}`);
  // In the second Subnet, for the instance's second NIC (a reply leaves by the NIC of the
  // Subnet it goes to: from another Subnet it would leave by the primary one and be dropped
  // as spoofed by OVN's port security).
  probe2 = await plug('probe2');
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
  // A VM a failed test left behind is killed by its pid (its QEMU outlives the agent).
  await attempt(() => killLeftVms([stateDir()]));
  await attempt(() => probe.close());
  await attempt(() => probe2.close());
  await attempt(() =>
    cluster.kubectl(['delete', 'instances.ecs.kcloud.io', '--all', '-n', ns, '--timeout=120s']),
  );
  await attempt(() =>
    world.deleteAll([
      `volumetypes.evs.kcloud.io/${volumeType()}`,
      `storagepools.evs.kcloud.io/${pool()}`,
      `flavors.ecs.kcloud.io/${flavor()}`,
      `flavors.ecs.kcloud.io/${ns}-capped`,
    ]),
  );
  await attempt(() => world.stop());
  await attempt(() => down(layout, { purge: true }));
  if (problems.length > 0) throw new AggregateError(problems, 'tearing the VM test down');
}, 300_000);

const vmSpec = {
  flavorRef: { name: '' },
  imageRef: { name: 'demo' },
  networkInterfaces: [
    {
      name: 'eth0',
      primary: true,
      subnetRef: { name: 'web' },
      securityGroupRefs: [{ name: 'web' }],
    },
  ],
};

describe('an Instance on a host', () => {
  let uid = '';
  let ip = '';
  /** The guest's MemTotal (KiB) with the 256 MiB it was created with. */
  let memAt256 = 0;
  const memTotalKiB = async () =>
    Number(/MemTotal:\s+(\d+)/.exec(await guestRun(uid, ['/bin/cat', '/proc/meminfo']))?.[1]);

  it('boots the guest, which takes its address by DHCP and answers ping in its Subnet', async () => {
    // Its user-data from a Secret made after it: the instance waits for it, saying so.
    await cluster.apply(
      doc(ecsApi, 'Instance', 'vm-1', {
        ...vmSpec,
        flavorRef: { name: flavor() },
        userDataSecretRef: { name: 'vm-1-user-data' },
      }),
    );
    await waitFor(
      async () =>
        (await instance('vm-1')).status?.conditions?.some(
          (c) => c.type === 'Scheduled' && c.reason === 'UserDataSecretNotFound',
        ),
      { timeoutMs: 60_000, what: 'Scheduled=False UserDataSecretNotFound' },
    );
    await cluster.kubectl([
      'create',
      'secret',
      'generic',
      'vm-1-user-data',
      '-n',
      cluster.namespace,
      '--from-literal=userData=#cloud-config\nruncmd:\n  - echo from-a-secret > /run/user-data-ran\n',
    ]);
    const running = await readyIn('vm-1', 'Running');
    uid = running.metadata?.uid ?? '';
    ip = running.status?.interfaces?.[0]?.ipAddresses?.[0] ?? '';
    expect(ip).toMatch(/^10\.20\.1\.\d+$/);
    expect(running.status?.bootTime).toBeDefined();
    const pid = await qemuPid(uid);
    expect(pid).toBeDefined();
    // The boot volume's I/O limits (its VolumeType's QoS) are QEMU's throttle on its disk.
    const groups = (await readFile(`/proc/${String(pid)}/cmdline`, 'utf8'))
      .split('\0')
      .filter((a) => a.includes('"throttle-group"'))
      .map((a) => JSON.parse(a) as { id: string; limits: Record<string, number> });
    expect(groups.find((g) => g.id === `tg-${diskId('vm-1-boot')}`)?.limits).toEqual({
      'iops-total': 4000,
      'bps-total': 200_000_000,
    });
    // The guest says on its console what it got: the seed's hostname and the NIC's address.
    const consoleLog = runPaths(stateDir(), uid).consoleLog;
    await waitFor(
      async () =>
        (await readFile(consoleLog, 'utf8')).includes(`kcloud-guest: ready hostname=vm-1 ip=${ip}`),
      {
        timeoutMs: 120_000,
        what: 'the guest’s ready line on its console',
      },
    );
    // It announced its address (gratuitous ARP): the probe knows its MAC before sending to it,
    // so a neighbour that cached the address of an instance that had it before is set right.
    const mac = running.status?.interfaces?.[0]?.macAddress ?? '';
    const neigh = await probe.exec(['ip', 'neigh', 'show', ip]);
    expect(neigh.stdout).toContain(`lladdr ${mac}`);
    await answers(ip);
    // The tap is in br-int as the NIC's logical port.
    const taps = await vsctl(layout, [
      '--bare',
      '--columns=name',
      'find',
      'Interface',
      `external_ids:kcloud-vm=${uid}`,
    ]);
    expect(taps.stdout.trim()).toMatch(/^kt[0-9a-f]{12}$/);
    // The Secret's user-data was in its seed: the guest ran its runcmd.
    expect(await guestRun(uid, ['/bin/cat', '/run/user-data-ran'])).toBe('from-a-secret');
  }, 420_000);

  it('asks a VNC viewer for the password in its Secret, and a changed one works at once', async () => {
    const running = await instance('vm-1');
    const secret = running.status?.vncPasswordSecretRef?.name ?? '';
    expect(secret).toBe('vm-1-vnc');
    const endpoint = running.status?.console?.vncEndpoint ?? '';
    expect(endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
    const password = await vncPassword(secret);
    expect(password).toMatch(/^[\x21-\x7e]{8}$/);
    // QEMU runs in the agent's network namespace (here the test's), where Ceph and a viewer
    // are; only its tap went into the data plane's.
    const qemu = await qemuPid(uid);
    expect(await readlink(`/proc/${String(qemu)}/ns/net`)).toBe(
      await readlink('/proc/self/ns/net'),
    );
    expect(await vnc(uid, endpoint, password)).toEqual({ result: 0, reason: '' });
    expect((await vnc(uid, endpoint, 'wrong')).result).not.toBe(0);
    // Its owner sets another; a change of the instance has the manager read the Secret again.
    await cluster.kubectl([
      'patch',
      'secret',
      secret,
      '-n',
      cluster.namespace,
      '-p',
      JSON.stringify({ stringData: { password: 'n3w-Pw!' } }),
    ]);
    await cluster.kubectl([
      'annotate',
      'instance',
      'vm-1',
      '-n',
      cluster.namespace,
      '--overwrite',
      `ecs.kcloud.io/vnc-password-changed=${String(Date.now())}`,
    ]);
    await waitFor(async () => (await vnc(uid, endpoint, 'n3w-Pw!')).result === 0, {
      timeoutMs: 60_000,
      intervalMs: 1_000,
      what: 'VNC to take the new password',
    });
    expect((await vnc(uid, endpoint, password)).result).not.toBe(0);
  }, 180_000);

  it('is started again when its QEMU dies (runStrategy Always)', async () => {
    const before = await instance('vm-1');
    const pid = await qemuPid(uid);
    expect(pid).toBeDefined();
    process.kill(pid ?? 0, 'SIGKILL');
    await waitFor(
      async () => {
        const now = await instance('vm-1');
        const p = await qemuPid(uid);
        return p !== undefined && p !== pid && now.status?.bootTime !== before.status?.bootTime;
      },
      { timeoutMs: 120_000, what: 'a new QEMU and boot time' },
    );
    await readyIn('vm-1', 'Running');
    await answers(ip);
  }, 300_000);

  it('keeps running while the agent is away, and the agent adopts it again', async () => {
    const before = await instance('vm-1');
    const pid = await qemuPid(uid);
    await world.agents[host]?.stop();
    expect(await ping(probe, ip)).toBe(true);
    expect(await qemuPid(uid)).toBe(pid);
    await world.startAgent(host);
    await readyIn('vm-1', 'Running');
    expect(await qemuPid(uid)).toBe(pid);
    expect((await instance('vm-1')).status?.bootTime).toBe(before.status?.bootTime);
    await answers(ip, 30_000);
  }, 300_000);

  it('plugs a data volume and a second NIC live, grows the volume live, and unplugs the volume', async () => {
    await cluster.apply(doc(evsApi, 'Volume', 'data-1', { size: '1Gi' }));
    await cluster.waitForCondition({ apiVersion: evsApi, kind: 'Volume', name: 'data-1' }, 'Ready');
    const bootTime = (await instance('vm-1')).status?.bootTime;
    await cluster.kubectl([
      'patch',
      'instance',
      'vm-1',
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({
        spec: {
          dataVolumes: [{ name: 'data-1' }],
          networkInterfaces: [
            ...vmSpec.networkInterfaces,
            { name: 'eth1', subnetRef: { name: 'db' }, securityGroupRefs: [{ name: 'web' }] },
          ],
        },
      }),
    ]);
    // The guest sees the disk by its serial (the Volume's name), 1 GiB in 512-byte sectors.
    await waitFor(async () => (await guestDisks(uid)).get('data-1') === 1024 ** 3 / 512, {
      timeoutMs: 120_000,
      what: 'the guest to see data-1 as a 1 GiB disk',
      describe: async () => JSON.stringify([...(await guestDisks(uid))]),
    });
    const attachment = await cluster.read({
      apiVersion: evsApi,
      kind: 'VolumeAttachment',
      name: 'vm-1-data-1',
    });
    expect(attachment.metadata?.finalizers).toContain('ecs.kcloud.io/vm');
    // The second NIC takes its address by DHCP and answers.
    const second = await waitFor(
      async () => (await instance('vm-1')).status?.interfaces?.[1]?.ipAddresses?.[0],
      { timeoutMs: 60_000, what: 'the second interface’s address' },
    );
    expect(second).toMatch(/^10\.20\.2\.\d+$/);
    await answers(second, 180_000, probe2);
    // Grown live: the guest sees 2 GiB, and EVS sees the volume at its new size.
    await cluster.kubectl([
      'patch',
      'volume',
      'data-1',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"size":"2Gi"}}',
    ]);
    await waitFor(async () => (await guestDisks(uid)).get('data-1') === (2 * 1024 ** 3) / 512, {
      timeoutMs: 120_000,
      what: 'the guest to see data-1 grown to 2 GiB',
    });
    await waitFor(
      async () => {
        const v = await cluster.read({ apiVersion: evsApi, kind: 'Volume', name: 'data-1' });
        const ready = v.status?.conditions?.find((c) => c.type === 'Ready');
        return ready?.status === 'True' && Number(v.status?.sizeBytes) === 2 * 1024 ** 3;
      },
      { timeoutMs: 120_000, what: 'Volume data-1 Ready at 2 GiB' },
    );
    // Unplugged: the disk leaves the guest, then the attachment goes, then the Volume is free.
    await cluster.kubectl([
      'patch',
      'instance',
      'vm-1',
      '-n',
      ns,
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'remove', path: '/spec/dataVolumes' }]),
    ]);
    await cluster.waitForGone(
      { apiVersion: evsApi, kind: 'VolumeAttachment', name: 'vm-1-data-1' },
      120_000,
    );
    expect((await guestDisks(uid)).has('data-1')).toBe(false);
    // All of it live: the VM never restarted.
    expect((await instance('vm-1')).status?.bootTime).toBe(bootTime);
    await answers(ip, 30_000);
  }, 600_000);

  it('runs InstanceOperations: a password set through the guest agent, a forced reset, a forced stop', async () => {
    const opRef = (name: string) => ({ apiVersion: ecsApi, kind: 'InstanceOperation', name });
    const uptime = async () =>
      Number((await guestRun(uid, ['/bin/cat', '/proc/uptime'])).split(' ')[0]);
    // reset-password: the guest's shadow entry is the new password's hash afterwards.
    await cluster.kubectl([
      'create',
      'secret',
      'generic',
      'root-pw',
      '-n',
      ns,
      '--from-literal=password=Sesame-42',
    ]);
    await cluster.apply(
      doc(ecsApi, 'InstanceOperation', 'pw', {
        instanceRef: { name: 'vm-1' },
        action: 'reset-password',
        resetPassword: { username: 'root', passwordSecretRef: { name: 'root-pw' } },
      }),
    );
    const pw = await cluster.waitForCondition(opRef('pw'), 'Ready', 'True', 120_000);
    expect(pw.status?.phase).toBe('Succeeded');
    const shadow =
      (await guestRun(uid, ['/bin/grep', '^root:', '/etc/shadow'])).split(':')[1] ?? '';
    const salt = shadow.split('$')[2] ?? '';
    expect(shadow).toBe(await cryptSha512('Sesame-42', salt));

    // force-reboot: the guest starts over in the same QEMU, and the instance stays Running.
    const pid = await qemuPid(uid);
    const before = await uptime();
    await cluster.apply(
      doc(ecsApi, 'InstanceOperation', 'reset', {
        instanceRef: { name: 'vm-1' },
        action: 'force-reboot',
      }),
    );
    await cluster.waitForCondition(opRef('reset'), 'Ready', 'True', 120_000);
    let last = '';
    await waitFor(
      async () => {
        const now = await uptime().catch((err: unknown) => {
          last = String(err);
          return Infinity;
        });
        if (now !== Infinity) last = `uptime ${String(now)} s (before: ${String(before)} s)`;
        return now < before;
      },
      { timeoutMs: 120_000, what: 'the guest to have booted again', describe: () => last },
    );
    expect(await qemuPid(uid)).toBe(pid);
    await answers(ip);

    // force-stop: QEMU goes; runStrategy Always starts it again.
    await cluster.apply(
      doc(ecsApi, 'InstanceOperation', 'cut', {
        instanceRef: { name: 'vm-1' },
        action: 'force-stop',
      }),
    );
    await cluster.waitForCondition(opRef('cut'), 'Ready', 'True', 120_000);
    await waitFor(
      async () => {
        const p = await qemuPid(uid);
        return p !== undefined && p !== pid;
      },
      { timeoutMs: 120_000, what: 'a new QEMU after the forced stop' },
    );
    await readyIn('vm-1', 'Running');
    await answers(ip);
    // Applied again: nothing runs twice.
    const done = await cluster.read(opRef('cut'));
    await cluster.apply(
      doc(ecsApi, 'InstanceOperation', 'cut', {
        instanceRef: { name: 'vm-1' },
        action: 'force-stop',
      }),
    );
    expect((await cluster.read(opRef('cut'))).metadata?.resourceVersion).toBe(
      done.metadata?.resourceVersion,
    );
  }, 600_000);

  it('resizes: more vCPUs and whole blocks of memory plugged live and brought online, other memory at the next start, a size the host lacks waits', async () => {
    // The demo guest runs qemu-ga: the agent reports it connected.
    await waitFor(
      async () =>
        (await instance('vm-1')).status?.conditions?.some(
          (c) => c.type === 'GuestAgentConnected' && c.status === 'True',
        ),
      { timeoutMs: 120_000, what: 'GuestAgentConnected=True' },
    );
    const resize = (resources: Record<string, unknown>) => patchVm({ flavorRef: null, resources });
    const allocated = async () =>
      ((await cluster.read(ref('Instance', 'vm-1'))).status as { allocated?: unknown }).allocated;
    const condition = async (type: string) =>
      (await instance('vm-1')).status?.conditions?.find((c) => c.type === type);

    const pid = await qemuPid(uid);
    const bootTime = (await instance('vm-1')).status?.bootTime;
    memAt256 = await memTotalKiB();
    // Watched while it grows: plugging needs no restart, so none is ever asked for.
    let restartAsked: unknown;
    const watchRestart = async () => {
      const c = await condition('RestartRequired');
      if (c?.status !== 'False') restartAsked ??= c;
    };

    await resize({ vcpu: 2, memory: '384Mi' });
    await waitFor(
      async () => {
        const a = (await allocated()) as { vcpu?: number; memoryBytes?: number } | undefined;
        return a?.vcpu === 2 && a.memoryBytes === 384 * 2 ** 20;
      },
      { timeoutMs: 60_000, what: 'status.allocated 2 vCPUs and 384Mi' },
    );
    // The second vCPU was plugged into the running QEMU and the guest brought it online.
    await waitFor(
      async () => {
        await watchRestart();
        return (await guestRun(uid, ['/bin/cat', '/sys/devices/system/cpu/online'])) === '0-1';
      },
      { timeoutMs: 120_000, what: 'the guest’s CPUs 0-1 online' },
    );
    // 128 MiB more is one memory block: plugged as a DIMM, and onlined in the guest, whose
    // memory grows by exactly that without a restart.
    expect(await guestRun(uid, ['/bin/cat', '/sys/devices/system/memory/block_size_bytes'])).toBe(
      '8000000',
    );
    await waitFor(
      async () => {
        await watchRestart();
        return (await memTotalKiB()) === memAt256 + 128 * 1024;
      },
      {
        timeoutMs: 120_000,
        what: `the guest's MemTotal ${String(memAt256)} kB grown by 128 MiB`,
        describe: () => `${String(memAt256)} kB at 256 MiB`,
      },
    );
    await waitFor(
      async () => {
        await watchRestart();
        const c = await condition('RestartRequired');
        return c?.status === 'False' && c.reason === 'SizeApplied';
      },
      { timeoutMs: 60_000, what: 'RestartRequired=False SizeApplied' },
    );
    expect(restartAsked).toBeUndefined();
    expect(await qemuPid(uid)).toBe(pid);
    expect((await instance('vm-1')).status?.bootTime).toBe(bootTime);
    await readyIn('vm-1', 'Running');

    // An agent that comes back sees the VM with the memory plugged before (QEMU's DIMMs): a
    // further block is one more DIMM, beside the first, and nothing is plugged twice.
    await world.agents[host]?.stop();
    await world.startAgent(host);
    await readyIn('vm-1', 'Running');
    await resize({ vcpu: 2, memory: '512Mi' });
    await waitFor(
      async () => {
        await watchRestart();
        return (await memTotalKiB()) === memAt256 + 256 * 1024;
      },
      { timeoutMs: 120_000, what: `the guest's MemTotal grown by 256 MiB in all` },
    );
    await waitFor(
      async () => {
        const c = await condition('RestartRequired');
        return c?.status === 'False' && c.reason === 'SizeApplied';
      },
      { timeoutMs: 60_000, what: 'RestartRequired=False SizeApplied at 512 MiB' },
    );
    expect(restartAsked).toBeUndefined();
    expect(await qemuPid(uid)).toBe(pid);

    // Memory that is not whole blocks more, or less memory, waits for the next start: the VM
    // says why it needs a restart, and runs on meanwhile with what it has.
    const pending = async (allocatedMiB: number) =>
      waitFor(
        async () => {
          const c = (await condition('RestartRequired')) as { status: string; message?: string };
          return c.status === 'True' && c.message?.includes(`and ${String(allocatedMiB)} MiB`)
            ? c
            : undefined;
        },
        { timeoutMs: 60_000, what: `RestartRequired=True for ${String(allocatedMiB)} MiB` },
      );
    await resize({ vcpu: 2, memory: '544Mi' });
    expect(await pending(544)).toMatchObject({
      reason: 'ResizePending',
      message:
        'the VM runs with 2 vCPUs and 512 MiB; 2 vCPUs and 544 MiB (status.allocated) take effect at its next start (memory is plugged in whole 128 MiB blocks (what the guest onlines), and 32 MiB more is not): set powerState Stopped, then Running',
    });
    await resize({ vcpu: 2, memory: '320Mi' });
    expect(await pending(320)).toMatchObject({
      reason: 'ResizePending',
      message:
        'the VM runs with 2 vCPUs and 512 MiB; 2 vCPUs and 320 MiB (status.allocated) take effect at its next start (memory is not taken away from a running guest): set powerState Stopped, then Running',
    });
    expect(await memTotalKiB()).toBe(memAt256 + 256 * 1024);
    expect(await qemuPid(uid)).toBe(pid);
    await readyIn('vm-1', 'Running');

    // More than the host has: it keeps its size, Ready says why, and it is not moved.
    await resize({ vcpu: 2, memory: '4000Gi' });
    const waiting = await waitFor(
      async () => {
        const c = await condition('Ready');
        return c?.status === 'False' && c.reason === 'ResizeWaitsForCapacity' ? c : undefined;
      },
      { timeoutMs: 60_000, what: 'Ready=False ResizeWaitsForCapacity' },
    );
    expect((waiting as { message?: string }).message).toContain('of memory short on Host');
    expect((await instance('vm-1')).status?.phase).toBe('Running');
    expect(await allocated()).toEqual({ vcpu: 2, memoryBytes: 320 * 2 ** 20 });
    await resize({ vcpu: 2, memory: '320Mi' });
    await readyIn('vm-1', 'Running');
  }, 420_000);

  it('holds its vCPUs to its Flavor’s CPU quota, in a cgroup of its own', async () => {
    // The size it has now, with a quota of 20 % per vCPU.
    await cluster.apply(
      doc(ecsApi, 'Flavor', `${ns}-capped`, { vcpu: 2, memory: '320Mi', cpuQuotaPercent: 20 }),
    );
    await patchVm({ resources: null, flavorRef: { name: `${ns}-capped` } });
    const pid = await qemuPid(uid);
    const quotaUs = path.join(cgroupOf(uid), 'cpu.cfs_quota_us');
    await waitFor(
      async () => existsSync(quotaUs) && (await readFile(quotaUs, 'utf8')).trim() === '40000',
      { timeoutMs: 60_000, what: `${quotaUs} holding 2 × 20 % of 100 ms` },
    );
    expect(
      (await readFile(path.join(cgroupOf(uid), 'cgroup.procs'), 'utf8')).split('\n'),
    ).toContain(String(pid));
    // A guest that spins is held back by the kernel: its cgroup was throttled.
    const throttled = async () =>
      Number(
        /nr_throttled (\d+)/.exec(
          await readFile(path.join(cgroupOf(uid), 'cpu.stat'), 'utf8'),
        )?.[1],
      );
    const before = await throttled();
    await guestRun(uid, ['/bin/sh', '-c', '(while :; do :; done) & p=$!; sleep 2; kill $p']);
    expect(await throttled()).toBeGreaterThan(before);
    await readyIn('vm-1', 'Running');
  }, 300_000);

  it('stops and starts again with powerState', async () => {
    await patchVm({ powerState: 'Stopped' });
    await readyIn('vm-1', 'Stopped');
    expect(await qemuPid(uid)).toBeUndefined();
    expect(await ping(probe, ip)).toBe(false);
    // An operation on a stopped VM fails for good, saying why, and stays failed.
    await cluster.apply(
      doc(ecsApi, 'InstanceOperation', 'late', {
        instanceRef: { name: 'vm-1' },
        action: 'force-reboot',
      }),
    );
    const late = await cluster.waitForCondition(
      { apiVersion: ecsApi, kind: 'InstanceOperation', name: 'late' },
      'Ready',
      'False',
      120_000,
      'InstanceNotRunning',
    );
    await waitFor(
      async () => {
        const o = await cluster.read({
          apiVersion: ecsApi,
          kind: 'InstanceOperation',
          name: 'late',
        });
        return o.status?.phase === 'Failed' && o.status.completionTime !== undefined;
      },
      {
        timeoutMs: 30_000,
        what: 'operation late Failed with its completionTime',
        describe: () => JSON.stringify(late.status),
      },
    );
    await patchVm({ powerState: 'Running' });
    await readyIn('vm-1', 'Running');
    await answers(ip);
    // Started again with the size it was resized to: no restart is required any more.
    // 64 MiB more than at 256 MiB, less what the kernel keeps to manage it: the DIMMs it ran
    // with before are not there, all of it is base memory.
    const memKiB = await memTotalKiB();
    expect(memKiB).toBeGreaterThan(memAt256 + 56 * 1024);
    expect(memKiB).toBeLessThanOrEqual(memAt256 + 64 * 1024);
    expect(await guestRun(uid, ['/bin/cat', '/sys/devices/system/cpu/present'])).toBe('0-1');
    // Started again under its quota, from its first instruction.
    expect((await readFile(path.join(cgroupOf(uid), 'cpu.cfs_quota_us'), 'utf8')).trim()).toBe(
      '40000',
    );
    expect(
      (await readFile(path.join(cgroupOf(uid), 'cgroup.procs'), 'utf8')).split('\n'),
    ).toContain(String(await qemuPid(uid)));
    await waitFor(
      async () =>
        (await instance('vm-1')).status?.conditions?.some(
          (c) => c.type === 'RestartRequired' && c.status === 'False' && c.reason === 'SizeApplied',
        ),
      { timeoutMs: 60_000, what: 'RestartRequired=False SizeApplied' },
    );
  }, 420_000);

  it('rebuilds from its image: stopped, its boot volume re-made, booted fresh from it', async () => {
    const opRef = (name: string) => ({ apiVersion: ecsApi, kind: 'InstanceOperation', name });
    // A mark near the end of the boot disk, past anything the image holds, flushed to it.
    const sectors = Number(await guestRun(uid, ['/bin/cat', '/sys/block/vda/size']));
    const at = String(sectors - 8);
    const mark = () =>
      guestRun(uid, [
        '/bin/sh',
        '-c',
        `dd if=/dev/vda bs=512 skip=${at} count=1 iflag=direct 2>/dev/null | head -c 14 | od -An -c | tr -d ' \\n'`,
      ]);
    await guestRun(uid, [
      '/bin/sh',
      '-c',
      `printf before-rebuild | dd of=/dev/vda bs=512 seek=${at} oflag=direct conv=notrunc,fsync 2>&1`,
    ]);
    expect(await mark()).toBe('before-rebuild');
    const pid = await qemuPid(uid);
    const t = Date.now();
    await cluster.apply(
      doc(ecsApi, 'InstanceOperation', 'rebuild', {
        instanceRef: { name: 'vm-1' },
        action: 'rebuild',
      }),
    );
    const op = await cluster.waitForCondition(opRef('rebuild'), 'Ready', 'True', 300_000);
    const opUid = op.metadata?.uid ?? '';
    expect(op.status).toMatchObject({
      phase: 'Succeeded',
      rebuild: {
        volumeOperation: `rebuild-${opUid}`,
        volume: 'vm-1-boot',
        image: { name: 'demo', namespace: ns },
        phase: 'Succeeded',
      },
    });
    // The EVS operation that did it, owned by the rebuild.
    const volOp = await cluster.read({
      apiVersion: evsApi,
      kind: 'VolumeOperation',
      name: `rebuild-${opUid}`,
    });
    expect(volOp.status?.phase).toBe('Succeeded');
    expect(volOp.metadata?.ownerReferences?.[0]).toMatchObject({ name: 'rebuild', uid: opUid });
    const boot = await cluster.read({ apiVersion: evsApi, kind: 'Volume', name: 'vm-1-boot' });
    expect((boot.status as { image?: { name?: string } }).image?.name).toBe('demo');
    // A new QEMU, from a disk that knows nothing of the old one, on the same address.
    await readyIn('vm-1', 'Running');
    expect(await qemuPid(uid)).not.toBe(pid);
    await answers(ip);
    console.log(
      `rebuild applied → Succeeded, Running and answering ping in ${((Date.now() - t) / 1000).toFixed(1)} s`,
    );
    // The fresh clone holds nothing there (zeros), and the guest sees the same disk size.
    expect(await mark()).toBe('\\0'.repeat(14));
    expect(Number(await guestRun(uid, ['/bin/cat', '/sys/block/vda/size']))).toBe(sectors);
  }, 600_000);

  it('leaves no process, tap, run directory or seed when deleted', async () => {
    const pid = await qemuPid(uid);
    expect(pid).toBeDefined();
    await cluster.kubectl([
      'delete',
      'instance',
      'vm-1',
      '-n',
      cluster.namespace,
      '--timeout=120s',
    ]);
    await cluster.waitForGone(ref('Instance', 'vm-1'), 120_000);
    expect(await qemuPid(uid)).toBeUndefined();
    expect(existsSync(runPaths(stateDir(), uid).dir)).toBe(false);
    expect(existsSync(path.join(stateDir(), 'seeds', `${uid}.img`))).toBe(false);
    expect(existsSync(cgroupOf(uid))).toBe(false);
    const taps = await vsctl(layout, [
      '--bare',
      '--columns=name',
      'find',
      'Interface',
      `external_ids:kcloud-vm=${uid}`,
    ]);
    expect(taps.stdout.trim()).toBe('');
    expect(await ping(probe, ip)).toBe(false);
    // The VNC password's copy in the hosts namespace went with it.
    const copies = await cluster.kubectl(['get', 'secrets', '-n', `${ns}-hosts`, '-o', 'name']);
    expect(copies.stdout).not.toContain(`ecs-vnc-${uid}`);
  }, 300_000);
});
