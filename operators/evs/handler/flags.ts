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
  'host-root': {
    type: 'string',
    default: '/',
    description:
      "where the host's filesystem is, for file pool paths and image import paths: / on the host, /host in a container that mounts it there",
  },
  'orphan-sweep-interval': {
    type: 'string',
    default: '10m',
    description:
      'how often Local pools are checked for data whose owner is gone (moved aside, never deleted)',
  },
  'pool-report-interval': {
    type: 'string',
    default: '30s',
    description: 'how often the storage pools this host reaches are reported in its Host',
  },
} satisfies FlagSpecs;

export interface EvsAgentConfig {
  orphanSweepIntervalMs: number;
  importRoots: string[];
  hostRoot: string;
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
  const hostRoot = stringFlag(values, 'host-root');
  if (!path.isAbsolute(hostRoot)) {
    throw new Error(`--host-root: ${hostRoot} is not an absolute path`);
  }
  return {
    // Import directories are host paths, read where the host's filesystem is.
    importRoots: importRoots.map((d) => path.join(path.resolve(hostRoot), d)),
    hostRoot: path.resolve(hostRoot),
    orphanSweepIntervalMs: parseDuration(
      '--orphan-sweep-interval',
      stringFlag(values, 'orphan-sweep-interval'),
    ),
    poolReportIntervalMs: parseDuration(
      '--pool-report-interval',
      stringFlag(values, 'pool-report-interval'),
    ),
  };
}
