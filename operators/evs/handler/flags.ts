// The EVS host module's flags on kcloud-agent.
import path from 'node:path';
import { parseDuration } from '../../../controllers/index.ts';
import { stringFlag, type FlagSpecs, type FlagValues } from '../../../controllers/manager/index.ts';

export const evsAgentFlags = {
  'image-import-dirs': {
    type: 'string',
    default: '',
    description:
      'comma-separated host directories Images may be imported from by path (spec.source.hostFile); none by default',
  },
  'pool-report-interval': {
    type: 'string',
    default: '30s',
    description: 'how often the storage pools this host reaches are reported in its Host',
  },
} satisfies FlagSpecs;

export interface EvsAgentConfig {
  importRoots: string[];
  poolReportIntervalMs: number;
}

export function configureEvsAgent(values: FlagValues): EvsAgentConfig {
  const importRoots = stringFlag(values, 'image-import-dirs')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const dir of importRoots) {
    if (!path.isAbsolute(dir)) {
      throw new Error(`--image-import-dirs: ${dir} is not an absolute path`);
    }
  }
  return {
    importRoots: importRoots.map((d) => path.resolve(d)),
    poolReportIntervalMs: parseDuration(
      '--pool-report-interval',
      stringFlag(values, 'pool-report-interval'),
    ),
  };
}
