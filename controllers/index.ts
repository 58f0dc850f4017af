// The shared controller runtime: what every product operator and the agent build on.
export {
  createLogger,
  parseLogLevel,
  logLevels,
  type Logger,
  type LogLevel,
} from './logging/logger.ts';
export { startHealthServer, type Check, type HealthServerOptions } from './health/server.ts';
export { parseDuration, parseHostPort } from './flags.ts';
export * from './clock/index.ts';
export * from './kube/index.ts';
export * from './informer/index.ts';
export * from './queue/index.ts';
export * from './reconcile/index.ts';
export * from './external/index.ts';
export * from './events/index.ts';
export * from './leader/index.ts';
export * from './manager/index.ts';
export * from './orphans/index.ts';
export * from './concurrency/index.ts';
