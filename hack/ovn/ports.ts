import { freePort, portIsFree } from '../cluster/index.ts';
import type { Ports } from './components.ts';

/**
 * The previous ports while they are free, so connection strings handed out earlier (to an
 * operator, a kubeconfig-like secret) keep working across restarts; fresh ones otherwise.
 */
export async function choosePorts(previous: Ports | undefined): Promise<Ports> {
  if (previous) {
    const free = await Promise.all([portIsFree(previous.nb), portIsFree(previous.sb)]);
    if (free.every(Boolean)) return previous;
  }
  const nb = await freePort();
  let sb = await freePort();
  // Each port was free when asked for; the kernel may hand out the same one twice.
  while (sb === nb) sb = await freePort();
  return { nb, sb };
}
