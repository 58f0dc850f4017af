import { baselineACLs, baselineGroup, baselineIds, legacyBaselineGroup } from '../ovn/index.ts';
import {
  deletePortGroup,
  findPortGroup,
  portGroupACLsMatch,
  type NbClient,
} from '../ovn/nb/index.ts';

/**
 * Puts an interface's port in its Subnet's baseline port group, whose ACLs deny inbound and
 * allow outbound traffic (SecurityGroups then open what they allow). One group per Subnet, not
 * one for every interface: ovn-northd keeps an address set of each group, and the cost of a
 * join follows the size of the group joined. The group is created on first use and its ACLs
 * kept as they should be. A port still in the group every interface shared before leaves it
 * only once it is in its Subnet's, so it is never without the baseline; the shared group goes
 * with its last port.
 */
export async function joinBaseline(
  nb: NbClient,
  subnetUid: string,
  portUuid: string,
): Promise<void> {
  const group = baselineGroup(subnetUid);
  await ensureBaselineGroup(nb, group);
  await nb.addPortsToGroup(group, [portUuid]);
  if (findPortGroup(nb.ovsdb, legacyBaselineGroup)?.ports.includes(portUuid)) {
    await nb.removePortsFromGroup(legacyBaselineGroup, [portUuid]);
    await serialized(nb, async () => {
      if (findPortGroup(nb.ovsdb, legacyBaselineGroup)?.ports.length === 0) {
        await deletePortGroup(nb.ovsdb, legacyBaselineGroup);
      }
    });
  }
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

function ensureBaselineGroup(nb: NbClient, group: string): Promise<void> {
  return serialized(nb, async () => {
    if (!findPortGroup(nb.ovsdb, group)) {
      await nb.ensurePortGroup(group, { ...baselineIds }, []);
    }
    await nb.ensurePortGroupACLs(group, baselineACLs(group));
  });
}

/**
 * Removes the baseline groups no port is left in (ports leave them by themselves when they are
 * deleted: the reference is weak), so deleting a Subnet's last interface leaves nothing of
 * kcloud in OVN. Serialized with the setup above; an interface created meanwhile finds its
 * group gone, fails to join, and its retry creates it.
 */
export function leaveBaseline(nb: NbClient): Promise<void> {
  return serialized(nb, async () => {
    const empty = nb.ovsdb.replica
      .table('Port_Group')
      .filter(
        (g) =>
          g.external_ids['kcloud.io/acl'] === baselineIds['kcloud.io/acl'] && g.ports.length === 0,
      );
    for (const g of empty) await deletePortGroup(nb.ovsdb, g.name);
  });
}

/**
 * Whether the port is in its Subnet's baseline group, and only there, and the group's ACLs are
 * as they should be.
 */
export function inBaseline(nb: NbClient, subnetUid: string, portUuid: string): boolean {
  const name = baselineGroup(subnetUid);
  const group = findPortGroup(nb.ovsdb, name);
  if (!group?.ports.includes(portUuid)) return false;
  if (findPortGroup(nb.ovsdb, legacyBaselineGroup)?.ports.includes(portUuid)) return false;
  return portGroupACLsMatch(nb.ovsdb, name, baselineACLs(name));
}
