// The guest agents of this host's VMs. QEMU's end of a guest agent channel serves one client
// at a time (a second connection waits unanswered in its backlog), so everything that reaches
// into a guest — an operation, the connection check, a snapshot's filesystem freeze — takes its
// turn here, per VM.
import { KeyedLock } from '../../../controllers/concurrency/index.ts';
import { GuestAgentClient } from '../backend/guest-agent/index.ts';
import { runPaths } from '../backend/qemu/index.ts';

export interface GuestAgentUse {
  /** How long each command may take before the guest counts as not answering. */
  timeoutMs: number;
}

export class GuestAgents {
  private readonly lock = new KeyedLock();

  private readonly stateDir: string;

  constructor(stateDir: string) {
    this.stateDir = stateDir;
  }

  /**
   * Runs `fn` with a connection to the VM's guest agent that answered a ping, alone on that
   * channel; the connection is closed after. Rejects (GuestAgentError) when the agent does not
   * answer.
   */
  use<T>(uid: string, opts: GuestAgentUse, fn: (qga: GuestAgentClient) => Promise<T>): Promise<T> {
    return this.lock.run(uid, async () => {
      const qga = await GuestAgentClient.connect(runPaths(this.stateDir, uid).qga, {
        timeoutMs: opts.timeoutMs,
      });
      try {
        await qga.ping();
        return await fn(qga);
      } finally {
        qga.close();
      }
    });
  }
}
