// The baseline's ovn-nbctl command lines: the same Load_Balancer and NAT rows the operators
// write, attached to the same router and switches. Pure.
import { createHash } from 'node:crypto';
import type { LbRow } from './topology.ts';

/** ovn-nbctl commands joined into one invocation (one transaction): `a -- b -- c`. */
export function joinCommands(commands: readonly (readonly string[])[]): string[] {
  return commands.flatMap((c, i) => (i === 0 ? [...c] : ['--', ...c]));
}

/** A row and its attachments: lb-add, then lr-lb-add on the router and ls-lb-add per switch. */
export function lbCommands(row: LbRow, router: string, switches: readonly string[]): string[][] {
  return [
    ['lb-add', row.name, row.vip, row.backends.join(','), 'tcp'],
    ['lr-lb-add', router, row.name],
    ...switches.map((s) => ['ls-lb-add', s, row.name]),
  ];
}

export function lbDeleteCommands(rows: readonly LbRow[]): string[][] {
  return rows.map((r) => ['lb-del', r.name]);
}

/** A distributed dnat_and_snat row, as the EIP operator writes one for a NIC. */
export interface NatRow {
  externalIp: string;
  logicalIp: string;
  logicalPort: string;
  externalMac: string;
}

export function natAddCommand(router: string, n: NatRow): string[] {
  return [
    'lr-nat-add',
    router,
    'dnat_and_snat',
    n.externalIp,
    n.logicalIp,
    n.logicalPort,
    n.externalMac,
  ];
}

export function natDeleteCommand(router: string, externalIp: string): string[] {
  return ['lr-nat-del', router, 'dnat_and_snat', externalIp];
}

/**
 * A re-bind as two runs, one after the other: the row for the old port goes, the row for the
 * new one comes. One run cannot do both: lr-nat-add checks the router's NAT rows as they were
 * read, where the row lr-nat-del removed earlier in the same transaction still holds the
 * address.
 */
export function rebindRuns(router: string, to: NatRow): string[][] {
  return [natDeleteCommand(router, to.externalIp), natAddCommand(router, to)];
}

/** A stable locally administered unicast MAC, the shape of the EIP operator's external_mac. */
export function macOf(seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  return ['0e', ...Array.from(h.subarray(0, 5), (b) => b.toString(16).padStart(2, '0'))].join(':');
}
