// The ECS benchmark's section of docs/benchmarks.md: method, machine, date, and the figures.
import { markdownTable } from '../lib/markdown.ts';
import { percentile } from '../lib/stats.ts';
import type { BareSample } from './bare-run.ts';
import type { KcloudSample } from './kcloud-run.ts';
import type { InstanceSteps } from './milestones.ts';
import type { LoadFigures } from './side-load.ts';

export const sectionHeading = 'ECS instance to ping';

/** The design's target (DESIGN.md §6): a VM answers ping within 2× a bare QEMU launch's time. */
export const targetRatio = 2;

export interface EcsRunInfo {
  date: string;
  machine: string;
  node: string;
  kubernetes: string;
  qemu: string;
  kernelVersion: string;
  accel: string;
  cores: number;
  instances: number;
  wave: number;
  keepNeighbours: boolean;
  durationMs: number;
}

export interface Wave {
  /** Which side ran first in this wave: they alternate, so machine noise hits both. */
  first: 'kcloud' | 'bare';
  kcloud: KcloudSample[];
  bare: BareSample[];
  /** The 1-minute load average when the wave started. */
  loadAverage: number;
}

export interface EcsBenchResults {
  run: EcsRunInfo;
  waves: Wave[];
  /** What the machine did while each side's VMs booted. */
  load: { kcloud: LoadFigures; bare: LoadFigures };
  /** The bare QEMU's command line, its run directory written as $RUN. */
  bareCommand: string[];
}

export const seconds = (ms: number) => (Number.isNaN(ms) ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);

const defined = (xs: (number | undefined)[]) => xs.filter((x): x is number => x !== undefined);

function spread(values: number[]): string {
  if (values.length === 0) return 'not seen';
  return `${seconds(percentile(values, 50))} / ${seconds(percentile(values, 95))} / ${seconds(Math.max(...values))}`;
}

/** kcloud's time over bare QEMU's at percentile `p`. */
export function ratioAt(kcloud: number[], bare: number[], p: number): number {
  return percentile(kcloud, p) / percentile(bare, p);
}

function ratioCell(r: number): string {
  const verdict = r <= targetRatio ? 'meets' : 'misses';
  return `**${r.toFixed(2)}×** (${verdict} the ≤ ${String(targetRatio)}× target)`;
}

const stepNames: [keyof InstanceSteps, string][] = [
  ['scheduled', 'scheduled'],
  ['addressKnown', 'address known'],
  ['volumeAvailable', 'boot volume Available'],
  ['attached', 'attached'],
  ['qemuRunning', 'QEMU running'],
];

/** The p50 of each step's time from the apply, in the order they happened. */
export function stepsCell(samples: KcloudSample[]): string {
  const parts = stepNames
    .map(([key, label]) => {
      const values = samples.map((s) => s.steps[key]).filter((v): v is number => v !== undefined);
      return { label, p50: values.length === samples.length ? percentile(values, 50) : NaN };
    })
    .sort((a, b) => a.p50 - b.p50)
    .map((s) => `${s.label} ${seconds(s.p50)}`);
  return [
    ...parts,
    `first reply ${seconds(
      percentile(
        samples.map((s) => s.totalMs),
        50,
      ),
    )}`,
  ].join(' → ');
}

/** QEMU running → first reply, per kcloud instance: the guest's share of its time. */
export function guestTimes(samples: KcloudSample[]): number[] {
  return samples.flatMap((s) =>
    s.steps.qemuRunning === undefined ? [] : [s.totalMs - s.steps.qemuRunning],
  );
}

function runsCell(waves: Wave[]): string {
  return waves
    .map((w, i) => {
      const k = w.kcloud.map((s) => seconds(s.totalMs)).join(', ');
      const b = w.bare.map((s) => seconds(s.totalMs)).join(', ');
      const sides = w.first === 'kcloud' ? `kcloud ${k}; bare ${b}` : `bare ${b}; kcloud ${k}`;
      return `${String(i + 1)}: ${sides}`;
    })
    .join(' · ');
}

/** Cores the processes besides the VMs used on average, the busiest named. */
export function loadCell(l: LoadFigures): string {
  const cores = (cpuSeconds: number) => (l.elapsedMs > 0 ? (cpuSeconds * 1000) / l.elapsedMs : NaN);
  let sum = 0;
  for (const v of l.cpuSeconds.values()) sum += v;
  const top = [...l.cpuSeconds.entries()]
    .sort((a, b) => b[1] - a[1])
    .filter(([, v]) => cores(v) >= 0.005)
    .slice(0, 5)
    .map(([k, v]) => `${k} ${cores(v).toFixed(2)}`);
  return `all cores ${Math.round(l.busy * 100)} % busy, other work on the machine included; processes besides the VMs used ${cores(sum).toFixed(2)} cores (${top.join(', ') || 'none'})`;
}

const shellWord = (a: string) => (/^[\w./,=:@$+-]+$/.test(a) ? a : `'${a}'`);

/** A command line for a shell, an option and its value on each line. */
export function commandLines(argv: readonly string[]): string {
  const lines: string[] = [];
  for (const a of argv) {
    const last = lines.length - 1;
    const prev = lines[last];
    if (prev !== undefined && prev.startsWith('-') && !prev.includes(' ') && !a.startsWith('-')) {
      lines[last] = `${prev} ${shellWord(a)}`;
    } else lines.push(shellWord(a));
  }
  return lines.join(' \\\n  ');
}

export function renderSection(results: EcsBenchResults): string {
  const { run, waves } = results;
  const kcloud = waves.flatMap((w) => w.kcloud);
  const bare = waves.flatMap((w) => w.bare);
  const k = kcloud.map((s) => s.totalMs);
  const b = bare.map((s) => s.totalMs);
  const loads = waves.map((w) => w.loadAverage);
  const beforeQemu = kcloud.flatMap((s) =>
    s.steps.qemuRunning === undefined ? [] : [s.steps.qemuRunning],
  );
  const guest = guestTimes(kcloud);
  const bareGuest = bare.map((s) => s.qemuToReplyMs);
  const kcloudLease = defined(
    kcloud.map((s) =>
      s.network?.leased === undefined || s.steps.qemuRunning === undefined
        ? undefined
        : s.network.leased - s.steps.qemuRunning,
    ),
  );
  const bareLease = defined(
    bare.map((s) =>
      s.network?.leased === undefined ? undefined : s.network.leased - s.preparedMs,
    ),
  );
  const kcloudAfterLease = defined(
    kcloud.map((s) => (s.network?.leased === undefined ? undefined : s.totalMs - s.network.leased)),
  );
  const bareAfterLease = defined(
    bare.map((s) => (s.network?.leased === undefined ? undefined : s.totalMs - s.network.leased)),
  );
  const r50 = ratioAt(k, b, 50);
  const r95 = ratioAt(k, b, 95);
  return [
    `Measured on ${run.date}: ${run.machine}; Node ${run.node}; kube-apiserver ${run.kubernetes}; etcd with fsync on; ${run.qemu}; the demo guest (Debian kernel ${run.kernelVersion}, busybox) under ${run.accel.toUpperCase()}. ` +
      `Run it with \`make bench\` (\`node bench/ecs/main.ts\`; \`--instances=4\` makes a quick run, \`--wave=1\` boots one VM at a time per side); this run took ${(run.durationMs / 60_000).toFixed(1)} min.`,
    'How: the bench starts a control plane of its own and an OVN with its data plane (ovs-vswitchd, ovn-controller) in `.local/bench-runs/`, and `kcloud-manager` as its own process with the vpc, evs and ecs operators; one real `kcloud-agent` runs VMs with QEMU, their taps in br-int. ' +
      'The demo guest is imported as an Image into a File Local pool; a VPC, a Subnet and a SecurityGroup allowing ICMP; a probe network namespace is plugged into br-int as a NetworkInterface of that Subnet. ' +
      `${String(run.instances)} Instances (1 vCPU, 256 MiB, boot volume cloned from the image, one interface in the Subnet) are timed from their server-side apply to the first echo reply from the guest, seen from the probe (one \`ping -i 0.1\` started as soon as the instance's address is in its status). ` +
      (run.keepNeighbours
        ? 'The probe keeps its ARP cache from one ping to the next (`--keep-neighbours`): an address a deleted instance freed goes to the next instance with another MAC, and the probe reaches it only once its kernel asks again. '
        : 'Before each ping the probe forgets what its ARP cache holds for the address (`ip neigh flush`), as a fresh client would: an address a deleted instance freed goes to the next instance with another MAC, and a cache still holding the old MAC sent the pings nowhere until the kernel asked again, which the demo guest now prevents by announcing its address with a gratuitous ARP (`--keep-neighbours` measures the path with the cache kept). ') +
      `Beside them, ${String(run.instances)} bare launches of the same guest: a qcow2 overlay on the very image file kcloud clones, a NoCloud seed, a tap in the same br-int bound to a NetworkInterface's port, and QEMU started by hand with the agent's own command line less \`-S\` and \`-daemonize\` (below), timed from the overlay's creation to the first echo reply, pinged the same way. ` +
      `Both sides boot ${String(run.wave)} VM${run.wave === 1 ? '' : 's'} at a time: a wave of kcloud instances (applied together, each deleted and gone before the next wave), then a wave of bare launches (killed by PID, tap and files removed), the side that goes first alternating from wave to wave so that the machine's other work hits both. ` +
      `Percentiles are nearest-rank, so each is a run that happened${k.length < 20 ? ` (with ${String(k.length)} runs the p95 is the slowest)` : ''}. Nothing of the VMs is left after the run (the bench checks: no QEMU, run directory, seed or tap).`,
    markdownTable(
      ['what', 'result'],
      [
        ['kcloud: apply → first ping reply, p50 / p95 / max', spread(k)],
        ['bare QEMU: overlay → first ping reply, p50 / p95 / max', spread(b)],
        ['kcloud / bare QEMU at p50', ratioCell(r50)],
        ['kcloud / bare QEMU at p95', ratioCell(r95)],
        ['kcloud: where the time goes (p50 of each step, from the apply)', stepsCell(kcloud)],
        ['kcloud: apply → QEMU running, p50 / p95 / max', spread(beforeQemu)],
        [
          'bare QEMU: overlay, seed and tap made, p50 / p95 / max',
          spread(bare.map((s) => s.preparedMs)),
        ],
        ['kcloud: QEMU running → first ping reply, p50 / p95 / max', spread(guest)],
        ['bare QEMU: QEMU started → first ping reply, p50 / p95 / max', spread(bareGuest)],
        [
          'kcloud: QEMU running → DHCP lease (ovn-controller’s DHCPACK), p50 / p95 / max',
          spread(kcloudLease),
        ],
        ['bare QEMU: QEMU started → DHCP lease, p50 / p95 / max', spread(bareLease)],
        ['kcloud: DHCP lease → first ping reply, p50 / p95 / max', spread(kcloudAfterLease)],
        ['bare QEMU: DHCP lease → first ping reply, p50 / p95 / max', spread(bareAfterLease)],
        [
          'port bound on the chassis (ovn-controller claims it), p50 from the apply / overlay',
          `kcloud ${seconds(percentile(defined(kcloud.map((s) => s.network?.portBound)), 50))}; bare QEMU ${seconds(percentile(defined(bare.map((s) => s.network?.portBound)), 50))}`,
        ],
        [
          'host load while the VMs booted',
          `kcloud's waves: ${loadCell(results.load.kcloud)}; bare waves: ${loadCell(results.load.bare)}; 1-minute load average ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} at the waves' starts`,
        ],
        ['each run, by wave (apply or overlay → first reply)', runsCell(waves)],
      ],
    ),
    `**Where the time goes, at p50.** Before QEMU runs, kcloud takes ${seconds(percentile(beforeQemu, 50))} (schedule, clone the boot volume, attach it on the host, make the NIC and its OVN port, write the seed, plug the tap, start QEMU paused, set the VNC password, let it run); the hand launch takes ${seconds(
      percentile(
        bare.map((s) => s.preparedMs),
        50,
      ),
    )} to make its overlay, seed and tap. ` +
      `From QEMU to the guest's DHCP lease (its boot; the same guest and command line on both sides) ${seconds(percentile(kcloudLease, 50))} under kcloud, ${seconds(percentile(bareLease, 50))} bare; from the lease to the first reply (the network path to a guest that has its address) ${seconds(percentile(kcloudAfterLease, 50))} under kcloud, ${seconds(percentile(bareAfterLease, 50))} bare.`,
    'The bare QEMU command line, `$RUN` standing for its directory (the agent runs the same with `-S` and `-daemonize`):',
    // A record of what ran ($RUN is the bench's own folder), not a command to copy: text.
    ['```text', commandLines(results.bareCommand), '```'].join('\n'),
  ].join('\n\n');
}
