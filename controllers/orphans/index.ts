// The orphan sweep every product shares: backend objects whose owner is gone are deleted or
// quarantined, per product policy, only once the API server itself confirms the owner is gone.
export { orphansTotal, type OrphanAction } from './metrics.ts';
export {
  OrphanSweeper,
  type BackendObject,
  type OrphanPolicy,
  type OrphanSweeperOptions,
  type OwnerKind,
  type SweepResult,
} from './sweeper.ts';
