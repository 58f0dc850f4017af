// The shared controller runtime: what every product operator and the agent build on.
export {
  createLogger,
  parseLogLevel,
  logLevels,
  type Logger,
  type LogLevel,
} from './logging/logger.ts';
export { startHealthServer, type Check, type HealthServerOptions } from './health/server.ts';
export { loadKubeConfig } from './kube/config.ts';
export { parseDuration, parseHostPort } from './flags.ts';
