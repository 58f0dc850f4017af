import { createHash } from 'node:crypto';

/** The object a row belongs to; recorded in the row's external_ids. */
export interface Owner {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

export const ownerKeys = {
  kind: 'kcloud.io/kind',
  namespace: 'kcloud.io/namespace',
  name: 'kcloud.io/name',
  uid: 'kcloud.io/uid',
  /** The VPC a row belongs to, so everything of one VPC can be found (and isolated) at once. */
  vpc: 'kcloud.io/vpc-uid',
} as const;

/** What an interface's switch port records beside its owner. */
export const portKeys = {
  /** The address of a reserve-only interface, whose port carries no address. */
  reservedAddress: 'kcloud.io/reserved-address',
} as const;

/**
 * What identifies an ACL among its holder's rows, in its external_ids: a user's rule carries
 * `rule` (its name, or direction and number for a NetworkACL), an ACL kcloud adds on its own
 * carries `builtin` instead. The two never share a key, so no rule name, whatever it
 * is, can collide with a built-in row.
 */
export const rowKeys = {
  rule: 'kcloud.io/rule',
  builtin: 'kcloud.io/builtin',
} as const;

/** The identity of an ACL within its holder: which kind of row, and its name. */
export function rowIdentity(externalIds: Record<string, string>, fallbackName = ''): string {
  const rule = externalIds[rowKeys.rule];
  if (rule !== undefined) return `rule\u0000${rule}`;
  return `builtin\u0000${externalIds[rowKeys.builtin] ?? fallbackName}`;
}

/**
 * external_ids of every row kcloud writes: they name the owning object, so the operator can find
 * what it owns, repair drift, and delete rows whose owner no longer exists.
 */
export function ownerIds(owner: Owner, vpcUid?: string): Record<string, string> {
  return {
    [ownerKeys.kind]: owner.kind,
    [ownerKeys.namespace]: owner.namespace,
    [ownerKeys.name]: owner.name,
    [ownerKeys.uid]: owner.uid,
    ...(vpcUid ? { [ownerKeys.vpc]: vpcUid } : {}),
  };
}

export function ownerOf(externalIds: Record<string, string>): Owner | undefined {
  const uid = externalIds[ownerKeys.uid];
  const kind = externalIds[ownerKeys.kind];
  if (!uid || !kind) return undefined;
  return {
    kind,
    uid,
    namespace: externalIds[ownerKeys.namespace] ?? '',
    name: externalIds[ownerKeys.name] ?? '',
  };
}

/**
 * OVN names from the owner's UID: unique across namespaces and stable for the object's life.
 * Port groups are referred to by name in ACL matches (`@name`, `$name_ip4`), which only allow
 * letters, digits and underscores.
 */
export const names = {
  router: (vpcUid: string) => `kcloud-vpc-${vpcUid}`,
  switch: (subnetUid: string) => `kcloud-subnet-${subnetUid}`,
  routerPort: (subnetUid: string) => `kcloud-rtr-${subnetUid}`,
  switchRouterPort: (subnetUid: string) => `kcloud-rtr-${subnetUid}-ls`,
  interfacePort: (nicUid: string) => `kcloud-eni-${nicUid}`,
  portGroup: (sgUid: string) => `kcloud_sg_${sgUid.replaceAll('-', '_')}`,
  routeTable: (routeTableUid: string) => `kcloud-rtb-${routeTableUid}`,
  /** A VPCPeering's router port on its own VPC (`a`) or on the peer VPC (`b`). */
  peeringPort: (peeringUid: string, side: 'a' | 'b') => `kcloud-pcx-${peeringUid}-${side}`,
};

/**
 * A locally administered unicast MAC derived from a seed (an object's UID), so the same
 * object always gets the same MAC, across restarts and re-creations of its rows.
 */
export function derivedMac(seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  // 0x0a: locally administered (bit 1 set), unicast (bit 0 clear).
  const bytes = [0x0a, h[0] ?? 0, h[1] ?? 0, h[2] ?? 0, h[3] ?? 0, h[4] ?? 0];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
