export {
  Manager,
  type LeaderElectionOptions,
  type ManagerOptions,
  type Runnable,
} from './manager.ts';
export {
  managerEventRules,
  managerLeaderElectionRules,
  reconcilerRules,
  type PolicyRule,
} from './rbac.ts';
export { helpText, mergeFlags, parseFlags, type FlagGroup } from './command-line.ts';
export {
  stringFlag,
  type FlagSpec,
  type FlagSpecs,
  type FlagValues,
  type Operator,
} from './operator.ts';
