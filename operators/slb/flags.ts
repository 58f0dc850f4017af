// The SLB operator reaches the OVN northbound database through the VPC operator's --ovn-nb
// flags (one database, one place to name it), and reads members' health from the southbound.
import { stringFlag, type FlagSpecs, type FlagValues } from '../../controllers/manager/index.ts';
import { configureVpc, type VpcOperatorConfig } from '../vpc/index.ts';

export const slbFlags = {
  'ovn-sb': {
    type: 'string',
    default: process.env.KCLOUD_OVN_SB ?? '',
    description:
      'the OVN southbound database, where the slb operator reads members’ health: unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT (with the --ovn-nb-key/cert/ca files), several separated by commas ($KCLOUD_OVN_SB); without it, health-checked members show Unknown',
  },
} satisfies FlagSpecs;

export interface SlbOperatorConfig extends VpcOperatorConfig {
  /** OVN southbound endpoints; empty: members' health is not read. */
  sbEndpoints?: string[];
}

export function configureSlb(values: FlagValues): SlbOperatorConfig {
  const sbEndpoints = stringFlag(values, 'ovn-sb')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const config = configureVpc(values);
  if (sbEndpoints.some((e) => e.startsWith('ssl:')) && !config.nbTls) {
    throw new Error('an ssl: --ovn-sb needs --ovn-nb-key, --ovn-nb-cert and --ovn-nb-ca');
  }
  return { ...config, sbEndpoints };
}
