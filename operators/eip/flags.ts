// The EIP operator's flags. It reaches the OVN northbound database through the VPC operator's
// --ovn-nb flags (one database, one place to name it) and adds where gateways run.
import { stringFlag, type FlagSpecs, type FlagValues } from '../../controllers/manager/index.ts';
import { configureVpc, type VpcOperatorConfig } from '../vpc/index.ts';

export const eipFlags = {
  'eip-gateway-chassis': {
    type: 'string',
    default: process.env.KCLOUD_EIP_GATEWAY_CHASSIS ?? '',
    description:
      "the OVN chassis (system-id) VPC routers' gateway ports to EIP pools run on, highest priority first, separated by commas ($KCLOUD_EIP_GATEWAY_CHASSIS)",
  },
} satisfies FlagSpecs;

export interface EipOperatorConfig extends VpcOperatorConfig {
  gatewayChassis: string[];
}

/** The EIP operator's settings from its flags (and the VPC operator's --ovn-nb ones). */
export function configureEip(values: FlagValues): EipOperatorConfig {
  return {
    ...configureVpc(values),
    gatewayChassis: stringFlag(values, 'eip-gateway-chassis')
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean),
  };
}
