// The demo's Host: the agent registers it, the manager marks it Ready once the agent
// heartbeats and has reported the machine (after its hypervisor probe boot).
import { setTimeout as sleep } from 'node:timers/promises';
import { kubectl } from '../cluster/index.ts';

export async function waitHostReady(
  kubeconfig: string,
  host: string,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    const r = await kubectl(kubeconfig, ['get', 'host', host, '-o', 'json']);
    if (r.code === 0) {
      const got = JSON.parse(r.stdout) as {
        status?: {
          conditions?: { type: string; status: string; reason: string; message: string }[];
        };
      };
      const ready = got.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status === 'True') return;
      last = ready
        ? `Ready=${ready.status} (${ready.reason}): ${ready.message}`
        : 'no Ready condition yet';
    } else last = r.stderr.trim();
    if (Date.now() > deadline) break;
    await sleep(500);
  }
  throw new Error(
    `host ${host} did not become Ready within ${String(timeoutMs / 1000)} s: ${last}; see .local/demo/logs`,
  );
}
