import type { Recorder } from '../external/index.ts';
import type { KubeObject } from '../kube/index.ts';

export interface RecordedEvent {
  /** Which object the event is about. */
  regarding: { kind?: string; namespace?: string; name?: string };
  type: 'Normal' | 'Warning';
  reason: string;
  action: string;
  note: string;
}

/** A Recorder that keeps every event in memory, in order, for a test to assert on. */
export class RecordingRecorder implements Recorder {
  readonly events: RecordedEvent[] = [];

  event(
    regarding: KubeObject,
    type: 'Normal' | 'Warning',
    reason: string,
    action: string,
    note: string,
  ): void {
    const { namespace, name } = regarding.metadata;
    this.events.push({
      regarding: {
        ...(regarding.kind !== undefined ? { kind: regarding.kind } : {}),
        ...(namespace !== undefined ? { namespace } : {}),
        ...(name !== undefined ? { name } : {}),
      },
      type,
      reason,
      action,
      note,
    });
  }

  /** `<type> <reason>` of each event, in order: what most assertions need. */
  summary(): string[] {
    return this.events.map((e) => `${e.type} ${e.reason}`);
  }

  clear(): void {
    this.events.length = 0;
  }
}
