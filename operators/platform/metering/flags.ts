// The metering operator's flags: where the CDR files go and how long a period is.
import path from 'node:path';
import { parseDuration } from '../../../controllers/index.ts';
import { stringFlag, type FlagSpecs, type FlagValues } from '../../../controllers/manager/index.ts';

export const meteringFlags = {
  'metering-dir': {
    type: 'string',
    default: path.resolve('.local/metering'),
    description:
      'where the metering operator writes its usage records: <period start>.jsonl and .csv per period, and .done once a period is complete',
  },
  'metering-period': {
    type: 'string',
    default: '1h',
    description:
      'the length of a metering period, such as 1h or 15m; periods are aligned to multiples of it since the epoch (1h: UTC hours)',
  },
} satisfies FlagSpecs;

export interface MeteringOperatorConfig {
  dir: string;
  periodMs: number;
}

export function configureMetering(values: FlagValues): MeteringOperatorConfig {
  const dir = stringFlag(values, 'metering-dir');
  if (dir === '') throw new Error('--metering-dir must name a directory');
  const periodMs = parseDuration('--metering-period', stringFlag(values, 'metering-period'));
  if (periodMs < 1000 || !Number.isInteger(periodMs)) {
    throw new Error('--metering-period must be at least 1s, in whole milliseconds');
  }
  return { dir, periodMs };
}
