// The wiring every product's controllers share: typed watches of other kinds, and a
// controller on the shared reconcile hooked to the manager.
export { addManagedController, type ManagedControllerOptions } from './managed-controller.ts';
export { watch } from './watch.ts';
