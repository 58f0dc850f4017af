export {
  cidrSize,
  containsCidr,
  containsIP,
  formatCidr,
  formatIPv4,
  lastAddress,
  overlaps,
  parseCidr,
  parseIPv4,
  parseRange,
  type Cidr,
} from './ipv4.ts';
export {
  AddressPool,
  type AllocationFailure,
  type AllocationResult,
  type PoolSpec,
} from './address-pool.ts';
