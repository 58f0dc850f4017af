export { Backoff } from './backoff.ts';
export { derivedView, type DerivedView } from './derived-view.ts';
export {
  Cache,
  labelIndex,
  labelIndexValue,
  namespaceIndex,
  type IndexFunc,
  type ReplaceResult,
} from './cache.ts';
export {
  Informer,
  type EventHandler,
  type InformerOptions,
  type InformerStats,
  type InitialList,
  type ListerWatcher,
} from './informer.ts';
export { scopeKey, type InformerScope, type ScopeFilter } from './scope.ts';
