import type { Outcome } from '../../../controllers/reconcile/index.ts';

/**
 * A VPCPeering's phase in its own words: `Active` once traffic can flow, `PendingAcceptance`
 * while the peer namespace has not answered; the shared phases otherwise (Pending for another
 * wait, Failed, Deleting, Unknown).
 */
export function peeringPhase(proposed: string, outcome: Outcome): string {
  if (proposed === 'Ready') return 'Active';
  if (proposed === 'Pending' && outcome.reason === 'WaitingForAcceptance') {
    return 'PendingAcceptance';
  }
  return proposed;
}
