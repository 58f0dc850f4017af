// The demo's ECS instances: the agent's flags that put their taps into the data plane's
// br-int, the wait until each answers ping from a namespace in its VPC, the listing `make demo`
// and `make status` print, and stopping their VMs when the demo goes down (QEMU outlives the
// agent by design: a VM left running would hold the data plane's namespace and memory).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { kubectl } from '../cluster/index.ts';
import { addGuest, guestCommand, type NicObject } from '../ovn/guests.ts';
import { dataPlaneNetns, type OvnLayout } from '../ovn/index.ts';
import { VmRunner } from '../../operators/ecs/backend/qemu/index.ts';
import { findQemu } from './console.ts';

const exec = promisify(execFile);

/** The NetworkInterface of the VPC sample that the demo plugs a namespace in as, to ping from. */
export const probeNic = { namespace: 'default', name: 'demo-web-1' };

/** The agent's ECS flags: taps in the data plane's network namespace, in its br-int. */
export async function vmFlags(layout: OvnLayout): Promise<string[]> {
  return [`--vm-netns=${await dataPlaneNetns(layout)}`, `--ovs-db=unix:${layout.vswitch.socket}`];
}

export interface InstanceRow {
  namespace: string;
  name: string;
  uid: string;
  phase: string;
  host: string;
  ip: string;
  ready: boolean;
  /** Why not Ready, when it is not. */
  why: string;
}

interface InstanceJson {
  metadata: { namespace?: string; name: string; uid?: string };
  status?: {
    phase?: string;
    host?: string;
    interfaces?: { ipAddresses?: string[] }[];
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

/** Every Instance in the cluster; undefined when the API server does not answer. */
export async function listInstances(kubeconfig: string): Promise<InstanceRow[] | undefined> {
  const r = await kubectl(kubeconfig, ['get', 'instances.ecs.kcloud.io', '-A', '-o', 'json']);
  if (r.code !== 0) return undefined;
  const items = (JSON.parse(r.stdout) as { items: InstanceJson[] }).items;
  return items.map((i) => {
    const ready = i.status?.conditions?.find((c) => c.type === 'Ready');
    return {
      namespace: i.metadata.namespace ?? '',
      name: i.metadata.name,
      uid: i.metadata.uid ?? '',
      phase: i.status?.phase ?? '',
      host: i.status?.host ?? '',
      ip: i.status?.interfaces?.[0]?.ipAddresses?.[0] ?? '',
      ready: ready?.status === 'True',
      why: ready ? `${ready.reason ?? ''}: ${ready.message ?? ''}` : 'no Ready condition yet',
    };
  });
}

async function readNic(kubeconfig: string, ref: typeof probeNic): Promise<NicObject> {
  const r = await kubectl(kubeconfig, [
    'get',
    'networkinterfaces.vpc.kcloud.io',
    ref.name,
    '-n',
    ref.namespace,
    '-o',
    'json',
  ]);
  if (r.code !== 0) throw new Error(`reading NetworkInterface ${ref.name}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as NicObject;
}

/** One ping from the probe guest; true when answered. */
async function pingFrom(layout: OvnLayout, ip: string): Promise<boolean> {
  const [file, args] = guestCommand(layout, probeNic, ['ping', '-c', '1', '-W', '1', ip]);
  return exec(file, args, { timeout: 10_000 }).then(
    () => true,
    () => false,
  );
}

/**
 * Whether the guest of an instance has said on its serial console that it is ready with this
 * address: DHCP, hostname and seed applied, its HTTP responder listening (hack/guest).
 */
export async function guestReady(i: InstanceRow): Promise<boolean> {
  const qemu = await findQemu(i.uid);
  if (!qemu || i.ip === '') return false;
  const log = await readFile(path.join(qemu.dir, 'console.log'), 'utf8').catch(() => '');
  return log
    .split('\n')
    .some((l) => l.startsWith('kcloud-guest: ready ') && l.includes(` ip=${i.ip}`));
}

/**
 * Plugs a namespace in as the probe NetworkInterface (kept for the user, as `hack/ovn.sh guest
 * add` would) and pings each instance from it until it answers and its guest says it is ready:
 * it has booted, taken its address by DHCP, its SecurityGroup admits ICMP from the VPC, and
 * its HTTP responder listens. Returns the seconds each took.
 */
export async function waitAnswering(
  kubeconfig: string,
  layout: OvnLayout,
  instances: InstanceRow[],
  log: (line: string) => void,
  timeoutMs = 300_000,
): Promise<Map<string, number>> {
  const { guest } = await addGuest(layout, probeNic, await readNic(kubeconfig, probeNic));
  log(`pinging from ${guest.nic} (${guest.address}), a namespace plugged into the demo VPC`);
  const began = Date.now();
  const answered = new Map<string, number>();
  const deadline = began + timeoutMs;
  for (;;) {
    for (const i of instances) {
      if (answered.has(i.name) || i.ip === '') continue;
      if ((await pingFrom(layout, i.ip)) && (await guestReady(i))) {
        answered.set(i.name, (Date.now() - began) / 1000);
        log(`${i.namespace}/${i.name} (${i.ip}) answers ping; its guest says it is ready`);
      }
    }
    if (answered.size === instances.length) return answered;
    if (Date.now() > deadline) {
      const silent = instances.filter((i) => !answered.has(i.name));
      throw new Error(
        `${silent.map((i) => `${i.namespace}/${i.name} (${i.ip || 'no address'})`).join(', ')} did not answer ping within ${String(timeoutMs / 1000)} s: see its console with node hack/demo/cli.ts console ${silent[0]?.namespace ?? ''}/${silent[0]?.name ?? ''} --log`,
      );
    }
    await sleep(1_000);
  }
}

/**
 * Stops every VM the agent ran (ACPI power-off, then `quit`, then by force), found by the run
 * directories under its state dir: the agent must be stopped first, or it starts them again.
 */
export async function stopVms(
  agentStateDir: string,
  log: (line: string) => void,
  timeoutMs = 30_000,
): Promise<void> {
  const runner = new VmRunner({ stateDir: path.join(agentStateDir, 'ecs') });
  await Promise.all(
    (await runner.list()).map(async (uid) => {
      const vm = await runner.adopt(uid);
      if (!vm) return;
      try {
        const pid = vm.pid;
        const r = await vm.stop({ timeoutMs });
        if (r.how !== 'not-running') {
          log(`stopped VM ${vm.definition.name} (pid ${String(pid)}): ${r.how}`);
        }
      } finally {
        vm.disconnect();
      }
    }),
  );
}
