import { allInterfacesGroup, baselineACLs } from '../ovn/index.ts';
import {
  deletePortGroup,
  findPortGroup,
  portGroupACLsMatch,
  type NbClient,
} from '../ovn/nb/index.ts';

const baselineIds = { 'kcloud.io/acl': 'baseline' };

/**
 * Puts an interface's port in the group every interface belongs to, whose ACLs deny inbound
 * and allow outbound traffic (SecurityGroups then open what they allow). The group is created
 * on first use and its ACLs kept as they should be; its membership is only ever added to, so a
 * restart never empties it (ports leave it by themselves when they are deleted: the reference
 * is weak).
 */
export async function joinBaseline(nb: NbClient, portUuid: string): Promise<void> {
  await ensureBaselineGroup(nb);
  await nb.addPortsToGroup(allInterfacesGroup, [portUuid]);
}

// Interfaces are reconciled by several workers at once: two that both found the group or its
// ACLs missing would each write them (a failed insert, or the ACLs twice). One setup at a time
// per database connection; each finds what the one before wrote.
const setups = new WeakMap<NbClient, Promise<void>>();

function serialized(nb: NbClient, step: () => Promise<void>): Promise<void> {
  const previous = setups.get(nb) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(step);
  setups.set(nb, next);
  return next;
}

function ensureBaselineGroup(nb: NbClient): Promise<void> {
  return serialized(nb, async () => {
    if (!findPortGroup(nb.ovsdb, allInterfacesGroup)) {
      await nb.ensurePortGroup(allInterfacesGroup, baselineIds, []);
    }
    await nb.ensurePortGroupACLs(allInterfacesGroup, baselineACLs());
  });
}

/**
 * Removes the baseline group and its ACLs once no port is left in it, so deleting the last
 * interface leaves nothing of kcloud in OVN. Serialized with the setup above; an interface
 * created meanwhile elsewhere finds the group gone, fails to join, and its retry creates it.
 */
export function leaveBaseline(nb: NbClient): Promise<void> {
  return serialized(nb, async () => {
    const group = findPortGroup(nb.ovsdb, allInterfacesGroup);
    if (group && group.ports.length === 0) await deletePortGroup(nb.ovsdb, allInterfacesGroup);
  });
}

/** Whether the port is in the baseline group and the group's ACLs are as they should be. */
export function inBaseline(nb: NbClient, portUuid: string): boolean {
  const group = findPortGroup(nb.ovsdb, allInterfacesGroup);
  if (!group?.ports.includes(portUuid)) return false;
  return portGroupACLsMatch(nb.ovsdb, allInterfacesGroup, baselineACLs());
}
