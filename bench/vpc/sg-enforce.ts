// SecurityGroup rule change → enforced in the data plane. Two guests: a server in a group with
// no rule for it (inbound denied, as for every interface) and a client outside it probing the
// server's TCP port every few milliseconds. Each round adds a rule allowing the client, then
// removes it; measured from the CR update sent to the first attempt started after it that got
// through (added), and to the first that was dropped (removed).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../../controllers/clock/index.ts';
import { objectKey } from '../../controllers/kube/index.ts';
import { startGuest, type Guest } from '../../hack/ovn/guest.ts';
import type { OvnLayout } from '../../hack/ovn/index.ts';
import type {
  NetworkInterfaceObject,
  SecurityGroupObject,
  SecurityGroupRule,
} from '../../operators/vpc/api/index.ts';
import { isReadyFor, type KindWatch } from './kube-watch.ts';
import type { NbWatch } from './nb-watch.ts';
import type { VpcClients } from './objects.ts';
import { hasPort } from './port-up.ts';
import {
  clientScript,
  enforcement,
  firstStarted,
  misses,
  ProbeLog,
  serverScript,
  settled,
} from './probe.ts';
import { groupObject, names, nicObject } from './topology.ts';

/** The deadline stays under TCP's first SYN retransmission (1 s): an attempt is one SYN. */
export const probe = { port: 8080, everyMs: 20, timeoutMs: 800 } as const;
const timeoutMs = 60_000;
/** Consecutive attempts with the new outcome before a round counts as settled. */
const steady = 10;

/** Milliseconds from the SecurityGroup update sent. */
export interface SgChange {
  /** The rule's ACL present in (added) or gone from (removed) the group's port group in NB. */
  nb: number;
  /** The SecurityGroup seen Ready for the new generation. */
  ready: number;
  /** The attempt that shows the change enforced (see `enforcement`), when it started. */
  enforced: number;
  /** Attempts that missed their deadline with the path open (see `misses`). */
  misses: number;
}

export interface SgResult {
  added: SgChange[];
  removed: SgChange[];
  /** Attempts before the first rule, all of which must have been dropped. */
  deniedBefore: number;
}

const sgName = 'probe-sg';
const ruleName = 'probe';

async function nicWithPort(
  clients: VpcClients,
  nics: KindWatch<NetworkInterfaceObject>,
  nic: NetworkInterfaceObject,
): Promise<NetworkInterfaceObject> {
  await clients.create(nic);
  return nics.wait(
    objectKey(nic),
    hasPort,
    timeoutMs,
    `NIC ${nic.metadata.name ?? ''} to report its port`,
  );
}

function guestOf(layout: OvnLayout, name: string, nic: NetworkInterfaceObject): Promise<Guest> {
  const s = nic.status ?? {};
  return startGuest(layout, {
    name,
    ifaceId: s.portName ?? '',
    mac: s.macAddress ?? '',
    address: `${s.ipAddress ?? ''}/${s.prefixLength ?? 0}`,
    gateway: s.gatewayIP ?? '',
  });
}

export async function measureSgEnforcement(opts: {
  namespace: string;
  rounds: number;
  layout: OvnLayout;
  clients: VpcClients;
  nics: KindWatch<NetworkInterfaceObject>;
  groups: KindWatch<SecurityGroupObject>;
  nb: NbWatch;
  clock: Clock;
  print: (line: string) => void;
}): Promise<SgResult> {
  const { clock, namespace, nb } = opts;
  const group = (rules: SecurityGroupRule[]) => groupObject(namespace, sgName, rules);
  const sgKey = `${namespace}/${sgName}`;
  await opts.clients.create(group([]));
  const sg = await opts.groups.wait(
    sgKey,
    (g) => isReadyFor(g) && Boolean(g.status?.portGroupName),
    timeoutMs,
    `SecurityGroup ${sgName} Ready`,
  );
  const pg = sg.status?.portGroupName ?? '';
  const server = await nicWithPort(
    opts.clients,
    opts.nics,
    nicObject(namespace, 'probe-server', {
      subnetRef: { name: names.probeSubnet },
      securityGroupRefs: [{ name: sgName }],
    }),
  );
  const client = await nicWithPort(
    opts.clients,
    opts.nics,
    nicObject(namespace, 'probe-client', { subnetRef: { name: names.probeSubnet } }),
  );
  const serverIp = server.status?.ipAddress ?? '';
  const clientIp = client.status?.ipAddress ?? '';
  const guests: Guest[] = [];
  try {
    guests.push(await guestOf(opts.layout, 'sg-server', server));
    guests.push(await guestOf(opts.layout, 'sg-client', client));
    const [serverGuest, clientGuest] = guests as [Guest, Guest];
    await nb.portUp(server.status?.portName ?? '', timeoutMs);
    await nb.portUp(client.status?.portName ?? '', timeoutMs);
    // The port group holds the server before the first rule, or the rule would open nothing.
    await nb.when(
      () => (nb.client.replica.table('Port_Group').findByName(pg)?.ports.length ?? 0) === 1,
      timeoutMs,
      `the server in port group ${pg}`,
    );

    const listener = serverGuest.spawn([process.execPath, '-e', serverScript, String(probe.port)]);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error('the probe server did not listen within 30 s'));
      }, 30_000);
      listener.stdout?.on('data', (b: Buffer) => {
        if (b.toString().includes('listening')) {
          clearTimeout(timer);
          resolve();
        }
      });
      listener.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the probe server exited (${String(code)})`));
      });
    });
    const log = new ProbeLog(
      clientGuest.spawn([
        process.execPath,
        '-e',
        clientScript,
        serverIp,
        String(probe.port),
        String(probe.everyMs),
        String(probe.timeoutMs),
      ]),
    );
    // Denied before any rule: otherwise "dropped" below would mean nothing.
    await log.until(
      (a) => (a.length >= 2 * steady ? true : undefined),
      timeoutMs,
      'the first probes',
    );
    const through = log.attempts.filter((a) => a.ok).length;
    if (through > 0) {
      throw new Error(`${through} probes reached the server before any rule allowed them`);
    }
    const deniedBefore = log.attempts.length;

    const rule: SecurityGroupRule = {
      name: ruleName,
      direction: 'Ingress',
      protocol: 'TCP',
      ports: { from: probe.port, to: probe.port },
      remoteCIDR: `${clientIp}/32`,
    };
    const change = async (rules: SecurityGroupRule[], allowed: boolean): Promise<SgChange> => {
      const sent = clock.now();
      const nbAt = nb.when(
        () => nb.aclNames(pg).includes(ruleName) === allowed,
        timeoutMs,
        `the ACL ${allowed ? 'in' : 'gone from'} ${pg}`,
      );
      const updated = await opts.clients.replaceSpec(group(rules));
      const generation = updated.metadata.generation ?? 0;
      const readyAt = opts.groups
        .wait(
          sgKey,
          (g) => isReadyFor(g) && g.metadata.generation === generation,
          timeoutMs,
          `${sgName} Ready`,
        )
        .then(() => clock.now());
      // Awaited below; a failure of the probes first must not leave these unhandled.
      nbAt.catch(() => undefined);
      readyAt.catch(() => undefined);
      const what = allowed ? 'a probe through' : 'a probe dropped';
      await log.until((a) => firstStarted(a, sent, allowed), timeoutMs, what);
      // Attempts started earlier may still be in flight: let them end before picking the first.
      await log.until(
        (a) => (settled(a, steady, allowed) ? true : undefined),
        timeoutMs,
        `${steady} more`,
      );
      await sleep(probe.timeoutMs + 100);
      const first = enforcement(log.attempts, sent, allowed);
      if (!first) throw new Error(`${what}: lost`);
      return {
        nb: (await nbAt) - sent,
        ready: (await readyAt) - sent,
        enforced: first.t - sent,
        misses: misses(log.attempts, sent, first, allowed),
      };
    };

    const result: SgResult = { added: [], removed: [], deniedBefore };
    for (let round = 0; round < opts.rounds; round++) {
      const added = await change([rule], true);
      result.added.push(added);
      const removed = await change([], false);
      result.removed.push(removed);
      opts.print(
        `SG round ${round + 1}/${opts.rounds}: added → through ${added.enforced} ms, removed → dropped ${removed.enforced} ms`,
      );
    }
    return result;
  } finally {
    for (const g of guests) await g.close();
  }
}
