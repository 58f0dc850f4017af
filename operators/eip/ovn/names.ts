import { createHash } from 'node:crypto';

/**
 * external_ids of the rows the EIP operator writes. Its own keys, not the VPC operator's: each
 * operator finds, repairs and sweeps only the rows it wrote.
 */
export const eipKeys = {
  kind: 'eip.kcloud.io/kind',
  uid: 'eip.kcloud.io/uid',
  name: 'eip.kcloud.io/name',
  namespace: 'eip.kcloud.io/namespace',
  /** The pool a gateway row belongs to. */
  pool: 'eip.kcloud.io/pool-uid',
  /** The VPC a gateway or NAT row belongs to. */
  vpc: 'eip.kcloud.io/vpc-uid',
} as const;

export const names = {
  poolSwitch: (poolUid: string) => `kcloud-eip-${poolUid}`,
  localnetPort: (poolUid: string) => `kcloud-eip-ln-${poolUid}`,
  /** A VPC router's port on a pool's network. */
  gatewayPort: (vpcUid: string, poolUid: string) => `kcloud-eipgw-${vpcUid}-${poolUid}`,
  /** Its peer on the pool's switch. */
  gatewaySwitchPort: (vpcUid: string, poolUid: string) => `kcloud-eipgw-${vpcUid}-${poolUid}-ls`,
  /** The holder of a gateway port's address in the pool. */
  gatewayHolder: (vpcUid: string) => `gateway/${vpcUid}`,
};

/** A stable locally administered unicast MAC for a gateway port. */
export function gatewayMac(seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  return ['0e', ...Array.from(h.subarray(0, 5), (b) => b.toString(16).padStart(2, '0'))].join(':');
}
