import type { SubnetObject } from '../api/index.ts';
import { isReady } from './references.ts';

/**
 * A VPC's Subnet counts for its status: all of them, and how many of those are Ready (a
 * Subnet that failed or is being deleted is one of the VPC's, but carries no traffic).
 */
export function subnetCounts(subnets: readonly SubnetObject[]): {
  subnets: number;
  readySubnets: string;
} {
  const ready = subnets.filter((s) => isReady(s) && !s.metadata.deletionTimestamp).length;
  return { subnets: subnets.length, readySubnets: `${String(ready)}/${String(subnets.length)}` };
}
