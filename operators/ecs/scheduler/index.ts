// The ECS scheduler's decision logic: pure functions over cache snapshots and the ledger of
// what each host holds. The Instance controller feeds it and writes what it decides.
export { refuse, wait, type ScheduleDecision } from './decision.ts';
export { computeHost, sameComputeHost, type ComputeHost } from './hosts.ts';
export {
  PlacementLedger,
  placedInstance,
  type HostUse,
  type PlacedInstance,
  type Placements,
  type RequiredTerm,
  type TopologyKey,
} from './ledger.ts';
export { schedulingOrder } from './order.ts';
export { formatMemory, requestedResources, type Resources } from './resources.ts';
export { matches, type LabelSelector } from './selector.ts';
export { domainOf } from './topology.ts';
export {
  decideAndAssume,
  enoughFits,
  schedule,
  type InterfaceView,
  type ScheduleInput,
  type ScoringPolicy,
} from './schedule.ts';
export type { VolumeNeed, VolumeWorld } from './constraints.ts';
