// hack/ovn.sh guest add|del|list|exec: guests of the data plane for NetworkInterfaces.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { devLayout, kubectl } from '../cluster/index.ts';
import {
  addGuest,
  deleteGuest,
  guestCommand,
  guestStatuses,
  parseNicRef,
  type GuestStatus,
  type NicObject,
  type NicRef,
} from './guests.ts';
import type { OvnLayout } from './layout.ts';

export const guestUsage = [
  'usage: ovn.sh guest add <namespace>/<interface>   plug a guest in as the NetworkInterface',
  '       ovn.sh guest del <namespace>/<interface>   unplug it and remove its namespace',
  '       ovn.sh guest list',
  '       ovn.sh guest exec <namespace>/<interface> -- <command> [args...]',
].join('\n');

/** The cluster the NetworkInterfaces are read from: $KUBECONFIG, else the one `make demo` runs. */
function kubeconfig(): string {
  return process.env.KUBECONFIG ?? devLayout().kubeconfig;
}

async function readNic(ref: NicRef): Promise<NicObject> {
  const cfg = kubeconfig();
  if (!existsSync(cfg)) {
    throw new Error(`no cluster at ${cfg}: start one with \`make demo\`, or set KUBECONFIG`);
  }
  const r = await kubectl(cfg, [
    'get',
    'networkinterfaces.vpc.kcloud.io',
    ref.name,
    '-n',
    ref.namespace,
    '-o',
    'json',
  ]);
  if (r.code !== 0) {
    throw new Error(`reading NetworkInterface ${ref.namespace}/${ref.name}: ${r.stderr.trim()}`);
  }
  return JSON.parse(r.stdout) as NicObject;
}

/** One line per guest, for `guest list`. */
export function guestLines(statuses: GuestStatus[]): string[] {
  if (statuses.length === 0) return ['no guests'];
  const rows = [
    ['INTERFACE', 'GUEST', 'PID', 'ADDRESS', 'MAC', 'PORT', 'STATE'],
    ...statuses.map(({ guest: g, alive, plugged }) => [
      g.nic,
      g.name,
      String(g.holder.pid),
      g.address,
      g.mac,
      g.portName,
      !alive
        ? 'gone'
        : plugged
          ? 'plugged'
          : 'unplugged (ovs-vswitchd stopped: hack/ovn.sh up plugs it in again)',
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '),
  );
}

function runIn(file: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

export async function guestMain(layout: OvnLayout, argv: string[]): Promise<number> {
  const log = (line: string) => {
    console.log(line);
  };
  const [action, target, ...rest] = argv;
  switch (action) {
    case 'add': {
      if (target === undefined || rest.length > 0) break;
      const ref = parseNicRef(target);
      const { guest: g, added } = await addGuest(layout, ref, await readNic(ref));
      log(
        `${g.nic}: ${added ? 'plugged in' : 'already plugged in'} as port ${g.portName} (guest ${g.name}, pid ${String(g.holder.pid)}): eth0 ${g.mac} ${g.address} via ${g.gateway}`,
      );
      log(`run a command in it: hack/ovn.sh guest exec ${g.nic} -- ip address show eth0`);
      return 0;
    }
    case 'del': {
      if (target === undefined || rest.length > 0) break;
      const ref = parseNicRef(target);
      if (!(await deleteGuest(layout, ref))) {
        console.error(`${target} has no guest`);
        return 1;
      }
      log(`${target}: guest removed`);
      return 0;
    }
    case 'list':
      if (target !== undefined) break;
      for (const line of guestLines(await guestStatuses(layout))) log(line);
      return 0;
    case 'exec': {
      if (target === undefined || rest[0] !== '--' || rest.length < 2) break;
      const [file, args] = guestCommand(layout, parseNicRef(target), rest.slice(1));
      return runIn(file, args);
    }
  }
  console.error(guestUsage);
  return 2;
}
