// Which OVN and Open vSwitch the local instances run: OVN 25.03 and Open vSwitch 3.5 from
// Debian trixie, unpacked under .local/ by `make setup` (hack/ovn/trixie/fetch.ts), whose
// ovn-northd handles most changes incrementally; or, with KCLOUD_OVN=host, the machine's own
// (Debian bookworm's OVN 23.03 and Open vSwitch 3.1, which `make setup` installs too).
import path from 'node:path';
import { repoRoot } from '../cluster/layout.ts';
import { rootTools, systemTool, type ToolResolver } from './tools.ts';

export type OvnVersion = 'host' | '25.03';

export interface OvnSchemas {
  nb: string;
  sb: string;
  vswitch: string;
}

export interface OvnInstall {
  version: OvnVersion;
  tool: ToolResolver;
  /** Databases are created from these, and converted to them when they are older. */
  schemas: OvnSchemas;
}

/** Where `make setup` unpacks the trixie packages. */
export const trixieRoot = path.join(repoRoot, '.local', 'ovn-25.03', 'root');

function schemasUnder(prefix: string): OvnSchemas {
  return {
    nb: path.join(prefix, 'usr/share/ovn/ovn-nb.ovsschema'),
    sb: path.join(prefix, 'usr/share/ovn/ovn-sb.ovsschema'),
    vswitch: path.join(prefix, 'usr/share/openvswitch/vswitch.ovsschema'),
  };
}

/** The machine's own packages. */
export const hostInstall: OvnInstall = {
  version: 'host',
  tool: systemTool,
  schemas: schemasUnder('/'),
};

export function rootInstall(root: string): OvnInstall {
  return { version: '25.03', tool: rootTools(root), schemas: schemasUnder(root) };
}

/** The versions KCLOUD_OVN names: unset (or `25.03`) for trixie's, `host` (or `23.03`) for the machine's. */
export function ovnVersion(value: string | undefined): OvnVersion {
  switch (value ?? '') {
    case '':
    case '25.03':
      return '25.03';
    case 'host':
    case '23.03':
      return 'host';
    default:
      throw new Error(
        `KCLOUD_OVN=${value ?? ''} is not a supported OVN: leave it unset for OVN 25.03 (unpacked by make setup), or set host for the machine's (23.03 on Debian bookworm)`,
      );
  }
}

/** The OVN this process runs, as KCLOUD_OVN says. */
export function selectedInstall(env: NodeJS.ProcessEnv = process.env): OvnInstall {
  return ovnVersion(env.KCLOUD_OVN) === '25.03' ? rootInstall(trixieRoot) : hostInstall;
}

/** The tools of the OVN this process runs. */
export const ovnTool: ToolResolver = (name) => selectedInstall().tool(name);
