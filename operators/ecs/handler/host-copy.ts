// What a host needs from a tenant's Secret the manager copies into the hosts namespace (the
// only Secrets agents may read), labelled with the host it is for. Any agent can `get` any of
// them by name, so each checks the label: a copy for another host is none of its business.
import type { HostModuleContext } from '../../../controllers/host/index.ts';
import { hostLabel } from '../../../controllers/host/index.ts';
import { isNotFound, secretResource, type KubeObject } from '../../../controllers/index.ts';

interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

/** Reads a key of a copy for one of this agent's hosts (utf-8); undefined: none (yet). */
export type HostCopyReader = (
  name: string,
  key: string,
  signal: AbortSignal,
) => Promise<string | undefined>;

export function hostCopyReader(
  ctx: Pick<HostModuleContext, 'mgr' | 'hosts' | 'hostsNamespace'>,
): HostCopyReader {
  const secrets = ctx.mgr.client<SecretObject>(secretResource);
  return async (name, key, signal) => {
    const s = await secrets.get(ctx.hostsNamespace, name, signal).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    const bound = s?.metadata.labels?.[hostLabel];
    const value = s?.data?.[key];
    if (bound === undefined || !ctx.hosts.includes(bound) || value === undefined) return undefined;
    return Buffer.from(value, 'base64').toString('utf8');
  };
}
