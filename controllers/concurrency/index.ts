export { KeyedLock } from './keyed-lock.ts';
export { WakeableWait } from './wakeable-wait.ts';
