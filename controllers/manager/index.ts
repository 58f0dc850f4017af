export { Manager, type LeaderElectionOptions, type ManagerOptions } from './manager.ts';
export {
  managerEventRules,
  managerLeaderElectionRules,
  reconcilerRules,
  type PolicyRule,
} from './rbac.ts';
