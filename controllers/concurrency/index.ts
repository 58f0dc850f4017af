export { KeyedLock } from './keyed-lock.ts';
