import type { TlsFiles } from '../../controllers/ovsdb/index.ts';

export interface OvnTlsFlags {
  keyFile?: string | undefined;
  certFile?: string | undefined;
  caFile?: string | undefined;
  serverName?: string | undefined;
}

/**
 * `--ovn-nb-key`, `--ovn-nb-cert` and `--ovn-nb-ca` go together, and an `ssl:` remote needs
 * them: a half-given set or a missing one stops the start with the flags named, rather than
 * every connection failing later.
 */
export function ovnNbTls(endpoints: readonly string[], flags: OvnTlsFlags): TlsFiles | undefined {
  const { keyFile, certFile, caFile, serverName } = flags;
  if (keyFile && certFile && caFile) {
    return { keyFile, certFile, caFile, ...(serverName ? { serverName } : {}) };
  }
  if (keyFile || certFile || caFile || serverName) {
    throw new Error(
      '--ovn-nb-key, --ovn-nb-cert and --ovn-nb-ca must be given together (--ovn-nb-server-name only with them)',
    );
  }
  if (endpoints.some((e) => e.startsWith('ssl:'))) {
    throw new Error('an ssl: --ovn-nb needs --ovn-nb-key, --ovn-nb-cert and --ovn-nb-ca');
  }
  return undefined;
}
