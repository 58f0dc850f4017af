// The one-word phase of each EVS kind, from the summary of the scheduler's and the agent's
// conditions. The agent's own reasons say when a failure waits for a human.
import type { Condition } from '../../../controllers/reconcile/index.ts';
import type { PhaseSummary } from '../../../controllers/external/index.ts';
import { quantityBytes, type VolumeObject } from '../api/index.ts';

/** The scheduler's own condition, and the agent's, on every host-bound EVS object. */
export const scheduledCondition = 'Scheduled';
export const provisionedCondition = 'Provisioned';
/** The agent's condition on a VolumeOperation: the action ran (True) or failed (False). */
export const executedCondition = 'Executed';

/**
 * Agent reasons that trying again cannot fix: the spec (or the image at the URL) must change.
 * These are the storage backend's non-retryable reasons and the agent's own.
 */
const waitsForHuman = new Set([
  'ChecksumMismatch',
  'FormatMismatch',
  'UnsupportedFormat',
  'UnsafeImage',
  'PathNotAllowed',
  'ShrinkRefused',
  'InvalidSize',
  'InvalidRequest',
  'InvalidSource',
  'ImageInspectionFailed',
  'InvalidObject',
]);

export function agentStalled(condition: Condition): boolean {
  return waitsForHuman.has(condition.reason);
}

/**
 * Agent reasons that end an operation for good (it is never run later, when the volume grew or
 * lost its snapshots): the storage backend's refusals of the action itself.
 */
export const operationRefusals: ReadonlySet<string> = new Set(['InvalidSize', 'HasSnapshots']);

export function operationStalled(condition: Condition): boolean {
  return agentStalled(condition) || operationRefusals.has(condition.reason);
}

export function volumePhase(volume: VolumeObject, s: PhaseSummary): string {
  if (s.deleting) return 'Deleting';
  switch (s.outcome.state) {
    case 'Ready':
      return (volume.status?.attachments ?? []).length > 0 ? 'InUse' : 'Available';
    case 'Stalled':
      return 'Error';
    case 'Unknown':
      return 'Unknown';
    case 'Reconciling': {
      if (s.decidedBy === scheduledCondition) return 'Pending';
      const made = volume.status?.sizeBytes;
      let wanted = 0;
      try {
        wanted = quantityBytes(volume.spec.size);
      } catch {
        // An unreadable size is the scheduler's to report.
      }
      return made !== undefined && made > 0 && made < wanted ? 'Extending' : 'Creating';
    }
  }
}

/** For snapshots: the shared phases, with Pending until placed. */
export function snapshotPhase(_obj: unknown, s: PhaseSummary): string {
  return !s.deleting && s.outcome.state === 'Reconciling' && s.decidedBy === scheduledCondition
    ? 'Pending'
    : s.phase;
}

export function imagePhase(_obj: unknown, s: PhaseSummary): string {
  if (s.deleting) return 'Deleting';
  switch (s.outcome.state) {
    case 'Ready':
      return 'Available';
    case 'Stalled':
      return 'Error';
    case 'Unknown':
      return 'Unknown';
    case 'Reconciling':
      return s.decidedBy === scheduledCondition ? 'Pending' : 'Importing';
  }
}

export function operationPhase(op: { status?: { phase?: string } }, s: PhaseSummary): string {
  if (s.deleting) return op.status?.phase ?? 'Pending';
  switch (s.outcome.state) {
    case 'Ready':
      return 'Succeeded';
    case 'Stalled':
      return 'Failed';
    case 'Unknown':
    case 'Reconciling':
      return s.decidedBy === scheduledCondition ? 'Pending' : 'Running';
  }
}

/** The agent's condition on a VolumeAttachment: the volume can be opened on the host. */
export const attachedCondition = 'Attached';

export function attachmentPhase(_obj: unknown, s: PhaseSummary): string {
  if (s.deleting) return 'Detaching';
  switch (s.outcome.state) {
    case 'Ready':
      return 'Attached';
    case 'Stalled':
      return 'Error';
    case 'Unknown':
      return 'Unknown';
    case 'Reconciling':
      return s.decidedBy === scheduledCondition ? 'Pending' : 'Attaching';
  }
}
