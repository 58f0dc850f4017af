import { freePort, portIsFree } from '../cluster/index.ts';
import type { Ports } from './components.ts';

/**
 * The previous ports while they are free, so connection strings handed out earlier (to an
 * operator, a kubeconfig-like secret) keep working across restarts; fresh ones otherwise. A
 * database still running (`running`) keeps its port: it is the one listening there.
 */
export async function choosePorts(
  previous: Ports | undefined,
  running: Partial<Record<keyof Ports, boolean>> = {},
): Promise<Ports> {
  if (!previous) return bothFresh();
  const keep = async (key: keyof Ports) =>
    running[key] === true || (await portIsFree(previous[key]));
  const [nb, sb] = await Promise.all([keep('nb'), keep('sb')]);
  if (nb && sb) return previous;
  if (!nb && !sb) return bothFresh();
  const kept = nb ? previous.nb : previous.sb;
  const [other] = await freshPortsAvoiding([kept], 1);
  return nb ? { nb: kept, sb: other ?? 0 } : { nb: other ?? 0, sb: kept };
}

async function bothFresh(): Promise<Ports> {
  const [nb = 0, sb = 0] = await freshPortsAvoiding([], 2);
  return { nb, sb };
}

/** `count` free ports, distinct from each other and from `avoid`. */
export async function freshPortsAvoiding(avoid: number[], count: number): Promise<number[]> {
  const chosen: number[] = [];
  while (chosen.length < count) {
    const port = await freePort();
    // Each port was free when asked for; the kernel may hand out the same one twice.
    if (!avoid.includes(port) && !chosen.includes(port)) chosen.push(port);
  }
  return chosen;
}
