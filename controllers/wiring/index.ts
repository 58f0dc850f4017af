// The wiring every product's controllers share: typed watches of other kinds, a controller on
// the shared reconcile and an orphan sweep, each hooked to the manager.
export { addManagedController, type ManagedControllerOptions } from './managed-controller.ts';
export { addOrphanSweeper, type OrphanSweepOptions } from './orphan-sweeper.ts';
export { watch } from './watch.ts';
