// EVS on a host: the module kcloud-agent runs (operators/evs/index.ts is the manager's side).
export { evsHostModule, registerEvsAgent } from './evs-host-module.ts';
