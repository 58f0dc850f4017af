import winston from 'winston';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export const logLevels: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

/**
 * Structured JSON logs, one object per line, so they can be shipped and queried. Callers add
 * fields with `logger.child({ controller, key, reconcileID })` rather than formatting strings.
 */
export function createLogger(component: string, level: LogLevel = 'info'): winston.Logger {
  return winston.createLogger({
    level,
    defaultMeta: { component },
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      winston.format.json(),
    ),
    transports: [new winston.transports.Console()],
  });
}

export function parseLogLevel(value: string | undefined): LogLevel {
  const level = (value ?? 'info') as LogLevel;
  if (!logLevels.includes(level)) {
    throw new Error(`--log-level must be one of ${logLevels.join(', ')}, not "${value ?? ''}"`);
  }
  return level;
}

export type Logger = winston.Logger;
