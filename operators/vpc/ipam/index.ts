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
  SubnetPool,
  type AllocationFailure,
  type AllocationResult,
  type PoolSpec,
} from './subnet-pool.ts';
