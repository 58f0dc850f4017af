// The EIP operator's flags. It reaches the OVN northbound database through the VPC operator's
// --ovn-nb flags (one database, one place to name it) and adds where gateways run.
import { parseDuration } from '../../controllers/index.ts';
import { stringFlag, type FlagSpecs, type FlagValues } from '../../controllers/manager/index.ts';
import { configureVpc, type VpcOperatorConfig } from '../vpc/index.ts';

export const eipFlags = {
  'eip-gateway-chassis': {
    type: 'string',
    default: process.env.KCLOUD_EIP_GATEWAY_CHASSIS ?? '',
    description:
      "the OVN chassis (system-id) VPC routers' gateway ports to EIP pools run on, highest priority first, separated by commas ($KCLOUD_EIP_GATEWAY_CHASSIS)",
  },
  'eip-gateway-bfd-interval': {
    type: 'string',
    default: '300ms',
    description:
      'how often the gateway chassis and the chassis using them exchange BFD packets over their tunnels; a chassis missing three is taken for dead and the next gateway chassis takes its ports (0s: OVN’s own 1s)',
  },
} satisfies FlagSpecs;

export interface EipOperatorConfig extends VpcOperatorConfig {
  gatewayChassis: string[];
  /** BFD's interval between chassis, ms; 0 for OVN's own. Default 300. */
  gatewayBfdIntervalMs?: number;
}

/** BFD intervals OVN and Open vSwitch take: whole milliseconds, at least 10 (0 for OVN's). */
export function parseBfdInterval(value: string): number {
  const ms = parseDuration('--eip-gateway-bfd-interval', value);
  if (ms !== 0 && (!Number.isInteger(ms) || ms < 10 || ms > 60_000)) {
    throw new Error(
      `--eip-gateway-bfd-interval must be 0s or whole milliseconds from 10ms to 60s, not "${value}"`,
    );
  }
  return ms;
}

/** The EIP operator's settings from its flags (and the VPC operator's --ovn-nb ones). */
export function configureEip(values: FlagValues): EipOperatorConfig {
  return {
    ...configureVpc(values),
    gatewayChassis: stringFlag(values, 'eip-gateway-chassis')
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean),
    gatewayBfdIntervalMs: parseBfdInterval(
      stringFlag(values, 'eip-gateway-bfd-interval') ||
        eipFlags['eip-gateway-bfd-interval'].default,
    ),
  };
}
