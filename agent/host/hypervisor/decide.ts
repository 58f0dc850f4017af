// From how a probe boot ended to the answer, and whether that answer may be cached: a boot
// that ran its course (marker, timeout, guest stopped) says something about this host's KVM
// that holds until the host kernel, QEMU or the probe kernel change; QEMU refusing to start or
// not starting at all may be fixed by the operator at any moment, so those are asked again.
import type { BootOutcome, HypervisorDecision } from './types.ts';

export interface Decided {
  decision: HypervisorDecision;
  cacheable: boolean;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

/** The last non-empty line of the serial console: where a hung guest stopped. */
export function lastConsoleLine(text: string): string | undefined {
  const lines = text
    .split(/\r?\n|\r/)
    // Terminal escapes (the firmware clears the screen) and other control characters.
    // eslint-disable-next-line no-control-regex
    .map((l) => l.replace(/\x1b\[[0-9;?]*[@-~]|\x1b[@-~]|[\x00-\x1f\x7f]/g, '').trim())
    .filter((l) => l !== '');
  return lines.at(-1);
}

function whereItStopped(text: string): string {
  const line = lastConsoleLine(text);
  return line === undefined ? 'no console output' : `last console line: ${JSON.stringify(line)}`;
}

function firstLines(text: string, n: number): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(0, n)
    .join('; ');
}

export function decide(outcome: BootOutcome, timeoutMs: number): Decided {
  switch (outcome.kind) {
    case 'marker':
      return {
        decision: {
          hypervisor: 'kvm',
          reason: `a probe guest booted under KVM reached its init in ${seconds(outcome.elapsedMs)} s`,
        },
        cacheable: true,
      };
    case 'timeout':
      return {
        decision: {
          hypervisor: 'tcg',
          reason: `KVM is not usable: the probe guest did not reach init within ${seconds(timeoutMs)} s under KVM (${whereItStopped(outcome.console)})`,
        },
        cacheable: true,
      };
    case 'exited': {
      if (outcome.code !== 0) {
        const said = firstLines(outcome.stderr, 3);
        const how =
          outcome.code === null
            ? `was killed by ${outcome.signal ?? 'a signal'}`
            : `exited with code ${String(outcome.code)}`;
        return {
          decision: {
            hypervisor: 'tcg',
            reason: `qemu refused the KVM accelerator: it ${how}${said === '' ? '' : `: ${said}`}`,
          },
          cacheable: false,
        };
      }
      return {
        decision: {
          hypervisor: 'tcg',
          reason: `KVM is not usable: the probe guest stopped under KVM before reaching init (${whereItStopped(outcome.console)})`,
        },
        cacheable: true,
      };
    }
    case 'spawn-error':
      return {
        decision: { hypervisor: 'tcg', reason: `could not start qemu: ${outcome.message}` },
        cacheable: false,
      };
  }
}
