export { chartDir, helm, helmOk } from './helm.ts';
export { localClusterValues } from './local-values.ts';
export { memberNbctl } from './ovn-central.ts';
