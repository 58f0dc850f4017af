// Which OVN and Open vSwitch the local instances run: OVN 25.03 and Open vSwitch 3.5 from
// Debian trixie, unpacked under .local/ by `make setup` (hack/ovn/trixie/fetch.ts), whose
// ovn-northd handles most changes incrementally; or, with KCLOUD_OVN=host, the machine's own
// (Debian bookworm's OVN 23.03 and Open vSwitch 3.1, which `make setup` installs too). For
// measurements only, KCLOUD_OVN=26.03 runs OVN 26.03 and Open vSwitch 4.0 from Debian sid,
// unpacked the same way but only on request (`node hack/ovn/trixie/fetch.ts --ovn=26.03`).
import path from 'node:path';
import { repoRoot } from '../cluster/layout.ts';
import { rootTools, systemTool, type ToolResolver } from './tools.ts';

export type OvnVersion = 'host' | '25.03' | '26.03';

/** The versions run from a root unpacked under .local/ rather than from the machine. */
export type RootVersion = Exclude<OvnVersion, 'host'>;

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

const rootOf = (version: RootVersion) => path.join(repoRoot, '.local', `ovn-${version}`, 'root');

/** Where `make setup` unpacks the trixie packages. */
export const trixieRoot = rootOf('25.03');

/** Where `node hack/ovn/trixie/fetch.ts --ovn=26.03` unpacks the sid packages. */
export const sidRoot = rootOf('26.03');

/** Each unpacked version's root, and the command that unpacks it there. */
export const ovnRoots: Record<RootVersion, { root: string; unpack: string }> = {
  '25.03': { root: trixieRoot, unpack: 'make setup' },
  '26.03': { root: sidRoot, unpack: 'node hack/ovn/trixie/fetch.ts --ovn=26.03' },
};

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

export function rootInstall(version: RootVersion, root = ovnRoots[version].root): OvnInstall {
  const missing = `run \`${ovnRoots[version].unpack}\` to unpack OVN ${version} there`;
  return { version, tool: rootTools(root, missing), schemas: schemasUnder(root) };
}

/**
 * The versions KCLOUD_OVN names: unset (or `25.03`) for trixie's, `26.03` for sid's, `host`
 * (or `23.03`) for the machine's.
 */
export function ovnVersion(value: string | undefined): OvnVersion {
  switch (value ?? '') {
    case '':
    case '25.03':
      return '25.03';
    case '26.03':
      return '26.03';
    case 'host':
    case '23.03':
      return 'host';
    default:
      throw new Error(
        `KCLOUD_OVN=${value ?? ''} is not a supported OVN: leave it unset for OVN 25.03 (unpacked by make setup), set host for the machine's (23.03 on Debian bookworm), or 26.03 for Debian sid's (unpacked by ${ovnRoots['26.03'].unpack})`,
      );
  }
}

/** The OVN this process runs, as KCLOUD_OVN says. */
export function selectedInstall(env: NodeJS.ProcessEnv = process.env): OvnInstall {
  const version = ovnVersion(env.KCLOUD_OVN);
  return version === 'host' ? hostInstall : rootInstall(version);
}

/** The tools of the OVN this process runs. */
export const ovnTool: ToolResolver = (name) => selectedInstall().tool(name);
