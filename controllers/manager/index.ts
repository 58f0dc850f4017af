export { Manager, type LeaderElectionOptions, type ManagerOptions } from './manager.ts';
