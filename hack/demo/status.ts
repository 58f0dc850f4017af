// make status: everything `make demo` runs, in one listing: the control plane, OVN (with its
// data plane and guests), the local Ceph once it was started, the manager and the agent, each
// with its PID, address and state.
import path from 'node:path';
import {
  cephStatus,
  componentOrder as cephComponents,
  devCephLayout,
  monAddrVec,
  type CephLayout,
} from '../ceph/index.ts';
import {
  devLayout,
  isOurs,
  kubectl,
  repoRoot,
  status as clusterStatus,
  type RunLayout,
} from '../cluster/index.ts';
import { guestStatuses } from '../ovn/guests.ts';
import {
  componentOrder,
  connectionFor,
  devOvnLayout,
  status as ovnStatus,
  type OvnLayout,
} from '../ovn/index.ts';
import { findQemu } from './console.ts';
import { listInstances } from './instances.ts';
import { demoDir, readDemoState, readyz, type ServiceProcess } from './services.ts';

/** A run folder as the user knows it: under the project, relative to it. */
function folder(dir: string): string {
  const rel = path.relative(repoRoot, dir);
  return rel.startsWith('..') ? dir : rel;
}

export type State = 'ready' | 'not ready' | 'down' | 'not started';

export interface StatusRow {
  name: string;
  pid?: number;
  /** Where it is reached: a URL, a socket, a chassis name. */
  address: string;
  state: State;
  /** Anything else worth a glance, e.g. `leader`. */
  note?: string;
}

export interface StatusGroup {
  title: string;
  rows: StatusRow[];
}

/** The listing, one line per component under its group's title. */
export function formatStatus(groups: StatusGroup[]): string[] {
  const all = groups.flatMap((g) => g.rows);
  const width = (pick: (r: StatusRow) => string) => Math.max(0, ...all.map((r) => pick(r).length));
  const nameW = width((r) => r.name);
  const pidW = width((r) => (r.pid === undefined ? '-' : String(r.pid)));
  const stateW = width((r) => r.state);
  const lines: string[] = [];
  for (const g of groups) {
    lines.push(g.title);
    if (g.rows.length === 0) lines.push('  (nothing recorded)');
    for (const r of g.rows) {
      const pid = r.pid === undefined ? '-' : String(r.pid);
      const cells = [
        r.name.padEnd(nameW),
        `pid ${pid.padEnd(pidW)}`,
        r.state.padEnd(stateW),
        r.address,
        ...(r.note ? [`(${r.note})`] : []),
      ];
      lines.push(`  ${cells.join('  ')}`.trimEnd());
    }
  }
  return lines;
}

/** Everything is up and ready. */
export function allReady(groups: StatusGroup[]): boolean {
  return groups.every((g) => g.rows.length > 0 && g.rows.every((r) => r.state === 'ready'));
}

function state(alive: boolean, ready: boolean): State {
  return !alive ? 'down' : ready ? 'ready' : 'not ready';
}

export async function controlPlaneGroup(layout: RunLayout): Promise<StatusGroup> {
  const s = await clusterStatus(layout);
  const ports = s.state?.ports;
  const address: Record<string, string> = ports
    ? {
        etcd: `http://127.0.0.1:${String(ports.etcdClient)}`,
        'kube-apiserver': `https://127.0.0.1:${String(ports.apiserver)}`,
        'kube-controller-manager': `https://127.0.0.1:${String(ports.controllerManager)}`,
      }
    : {};
  return {
    title: `control plane (${folder(layout.runDir)})`,
    rows: (s.state?.processes ?? []).map((p) => ({
      name: p.name,
      pid: p.pid,
      address: address[p.name] ?? '',
      // The API server's readiness stands for the whole: each component is probed by `up`.
      state: state(s.alive[p.name] === true, s.ready),
    })),
  };
}

export async function ovnGroups(layout: OvnLayout): Promise<StatusGroup[]> {
  const s = await ovnStatus(layout);
  if (!s.state) return [{ title: `OVN (${folder(layout.runDir)})`, rows: [] }];
  const { options, ports } = s.state;
  const c = connectionFor(layout, ports);
  const address: Record<string, string> = {
    'ovsdb-nb': `${c.nb.unix} ${c.nb.tcp}`,
    'ovsdb-sb': `${c.sb.unix} ${c.sb.tcp}`,
    'ovn-northd': `unix:${layout.northdCtl}`,
    'ovsdb-vswitch': `unix:${layout.vswitch.socket}`,
    'ovs-vswitchd': `unix:${layout.vswitchdCtl}`,
    'ovn-controller': `chassis ${options.chassis}`,
  };
  const rows = componentOrder(options).map((name): StatusRow => {
    const proc = s.state?.processes.find((p) => p.name === name);
    return {
      name,
      ...(proc ? { pid: proc.pid } : {}),
      address: address[name] ?? '',
      state: proc ? state(s.alive[name] === true, s.componentReady[name] === true) : 'not started',
    };
  });
  const groups: StatusGroup[] = [
    {
      title: `OVN (${folder(layout.runDir)}; data plane ${options.dataPlane ? 'on' : 'off'})`,
      rows,
    },
  ];
  const guests = await guestStatuses(layout);
  if (guests.length > 0) {
    groups.push({
      title: 'guests (hack/ovn.sh guest list)',
      rows: guests.map(({ guest: g, alive, plugged }) => ({
        name: g.nic,
        pid: g.holder.pid,
        address: `${g.address} ${g.mac}`,
        state: state(alive, plugged),
        note: plugged ? `port ${g.portName}` : 'unplugged: hack/ovn.sh up plugs it in again',
      })),
    });
  }
  return groups;
}

/**
 * The local Ceph (`hack/ceph.sh up`, `make ceph-up`) while it was started and not stopped: the
 * demo does not start it, so its absence is not a fault; a daemon that died shows as down.
 */
export async function cephGroups(layout: CephLayout): Promise<StatusGroup[]> {
  const s = await cephStatus(layout);
  if (!s.state || s.state.processes.length === 0) return [];
  const { processes, ports } = s.state;
  const waiting = s.readiness && !s.readiness.ready ? s.readiness.waitingFor.join('; ') : '';
  const rows = cephComponents.map((name): StatusRow => {
    const proc = processes.find((p) => p.name === name);
    const note = name === 'ceph-mon' && waiting ? `waiting for ${waiting}` : undefined;
    return {
      name,
      ...(proc ? { pid: proc.pid } : {}),
      address: name === 'ceph-mon' ? monAddrVec(ports) : '',
      // The cluster's readiness stands for each daemon, as the API server's does for its own.
      state: proc ? state(s.alive[name] === true, s.ready) : 'not started',
      ...(note ? { note } : {}),
    };
  });
  return [{ title: `Ceph (${folder(layout.runDir)}; CEPH_CONF=${folder(layout.conf)})`, rows }];
}

/** Who holds the manager's leader Lease, when the API server answers. */
async function leaseHolder(kubeconfig: string, p: ServiceProcess): Promise<string | undefined> {
  if (!p.lease) return undefined;
  const r = await kubectl(kubeconfig, [
    'get',
    'lease',
    p.lease.name,
    '-n',
    p.lease.namespace,
    '-o',
    'jsonpath={.spec.holderIdentity}',
  ]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

export async function servicesGroup(kubeconfig: string, apiUp: boolean): Promise<StatusGroup> {
  const { processes } = await readDemoState();
  const rows = await Promise.all(
    processes.map(async (p): Promise<StatusRow> => {
      const alive = isOurs(p);
      const holder = alive && apiUp ? await leaseHolder(kubeconfig, p) : undefined;
      const note = [
        ...(p.userFlags && p.userFlags.length > 0 ? [p.userFlags.join(' ')] : []),
        ...(holder === undefined
          ? []
          : [holder === p.lease?.identity ? 'leader' : `not leader: ${holder || 'no holder'}`]),
      ].join('; ');
      return {
        name: p.name,
        pid: p.pid,
        address: `http://${p.healthAddr}/readyz`,
        state: state(alive, alive && (await readyz(p.healthAddr))),
        ...(note ? { note } : {}),
      };
    }),
  );
  return { title: `kcloud (${folder(demoDir)})`, rows };
}

/** The instances and their VMs' QEMU on this machine; none when the API server is down. */
export async function instancesGroups(kubeconfig: string, apiUp: boolean): Promise<StatusGroup[]> {
  const instances = apiUp ? await listInstances(kubeconfig) : undefined;
  if (!instances || instances.length === 0) return [];
  const rows = await Promise.all(
    instances.map(async (i): Promise<StatusRow> => {
      const qemu = await findQemu(i.uid);
      return {
        name: `${i.namespace}/${i.name}`,
        ...(qemu ? { pid: qemu.pid } : {}),
        address: i.ip || 'no address yet',
        state: !qemu ? 'down' : i.ready && i.phase === 'Running' ? 'ready' : 'not ready',
        note: [i.phase || 'no phase', i.host ? `on ${i.host}` : '', i.ready ? '' : i.why]
          .filter((x) => x !== '')
          .join(', '),
      };
    }),
  );
  return [{ title: 'instances (kubectl get ecs -A; QEMU pid)', rows }];
}

/** Everything `make demo` runs, as groups of rows. */
export async function demoStatus(): Promise<StatusGroup[]> {
  const cluster = devLayout();
  const control = await controlPlaneGroup(cluster);
  const apiUp = control.rows.some((r) => r.name === 'kube-apiserver' && r.state === 'ready');
  return [
    control,
    ...(await ovnGroups(devOvnLayout())),
    ...(await cephGroups(devCephLayout())),
    await servicesGroup(cluster.kubeconfig, apiUp),
    ...(await instancesGroups(cluster.kubeconfig, apiUp)),
  ];
}
