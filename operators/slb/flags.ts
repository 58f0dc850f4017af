// The SLB operator reaches the OVN northbound database through the VPC operator's --ovn-nb
// flags (one database, one place to name it).
import type { FlagSpecs, FlagValues } from '../../controllers/manager/index.ts';
import { configureVpc, type VpcOperatorConfig } from '../vpc/index.ts';

export const slbFlags = {} satisfies FlagSpecs;

export type SlbOperatorConfig = VpcOperatorConfig;

export function configureSlb(values: FlagValues): SlbOperatorConfig {
  return configureVpc(values);
}
