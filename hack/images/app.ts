// The kcloud application as the manager and agent images carry it under /opt/kcloud: the
// compiled JavaScript, package.json and its lock, and the production node_modules.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../cluster/layout.ts';
import { runTool, toolOutput } from '../cluster/run-tool.ts';
import { placeFile, placeTree } from './rootfs.ts';

/** The folders whose code the images run; the rest of what tsconfig.build.json emits is tooling. */
export const appDirs = ['operators', 'controllers', 'agent'];

/** The project's own Node.js 24, installed by `make setup`. */
export const nodeBinary = path.join(repoRoot, '.local', 'node', 'bin', 'node');

export const entrypoints = {
  'kcloud-manager': 'dist/operators/manager/main.js',
  'kcloud-agent': 'dist/agent/main.js',
} as const;

async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) files.push(...(await sourceFiles(full)));
    else if (e.isFile() && !e.name.endsWith('.test.ts')) files.push(full);
  }
  return files;
}

/**
 * What the compiled JavaScript is made from: every file of the application's folders (tests
 * aside), the compiler's options and its version. Hashing them takes milliseconds; compiling
 * takes seconds.
 */
export async function sourcesHash(root: string = repoRoot): Promise<string> {
  const hash = createHash('sha256');
  const files = [
    ...(await Promise.all(appDirs.map((d) => sourceFiles(path.join(root, d))))).flat(),
    path.join(root, 'tsconfig.json'),
    path.join(root, 'tsconfig.build.json'),
    path.join(root, 'node_modules', 'typescript', 'package.json'),
  ].sort();
  for (const file of files) {
    hash.update(`${path.relative(root, file)}\0`);
    hash.update(await readFile(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

function command(file: string, args: string[], cwd: string): Promise<string> {
  return toolOutput(file, args, { cwd });
}

/**
 * `tsc -p tsconfig.build.json` into `outDir`, keeping only the application's folders. It emits
 * relative imports as `.js` (rewriteRelativeImportExtensions), so the output runs as it is.
 */
export async function compile(outDir: string): Promise<void> {
  await command(
    path.join(repoRoot, 'node_modules', '.bin', 'tsc'),
    ['-p', 'tsconfig.build.json', '--outDir', outDir, '--sourceMap', 'false'],
    repoRoot,
  );
  for (const entry of await readdir(outDir)) {
    if (!appDirs.includes(entry)) await rm(path.join(outDir, entry), { recursive: true });
  }
}

/**
 * The production node_modules of the lock file (no install scripts run), made once per lock file
 * under `cacheDir/<its sha256>/node_modules`. Called with the cache's lock held.
 */
export async function productionModules(cacheDir: string, lockHash: string): Promise<string> {
  const dir = path.join(cacheDir, lockHash);
  const modules = path.join(dir, 'node_modules');
  if (existsSync(modules)) return modules;
  await mkdir(cacheDir, { recursive: true });
  // Left by an install stopped halfway; the cache's lock is held, so none is under way.
  for (const entry of await readdir(cacheDir)) {
    if (entry.startsWith('.npm-')) await rm(path.join(cacheDir, entry), { recursive: true });
  }
  const work = await mkdtemp(path.join(cacheDir, '.npm-'));
  try {
    // Copies, not links: npm works in this folder.
    for (const f of ['package.json', 'package-lock.json']) {
      await copyFile(path.join(repoRoot, f), path.join(work, f));
    }
    await command(
      'npm',
      ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'],
      work,
    );
    await mkdir(dir, { recursive: true });
    await rename(path.join(work, 'node_modules'), modules);
    return modules;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Loaded before a staged entrypoint: any module resolved outside the staged application (from a
 * node_modules further up, say) fails the smoke test, as it would be missing in the image.
 */
function confineTo(app: string): string {
  const code = `
    import { registerHooks } from 'node:module';
    const inside = ${JSON.stringify(pathToFileURL(app).href + '/')};
    registerHooks({
      resolve(specifier, context, next) {
        const r = next(specifier, context);
        if (r.url.startsWith('file:') && !r.url.startsWith(inside)) {
          throw new Error('resolved outside the image: ' + r.url);
        }
        return r;
      },
    });`;
  return `data:text/javascript,${encodeURIComponent(code)}`;
}

/**
 * Puts the application under `<root>/opt/kcloud` and Node.js at `<root>/usr/local/bin/node`, then
 * starts each entrypoint with an unknown flag: it must load every module it imports (with only
 * the production node_modules there) and then refuse the flag.
 */
export async function stageApp(root: string, modules: string): Promise<void> {
  const app = path.join(root, 'opt', 'kcloud');
  await placeFile(nodeBinary, path.join(root, 'usr', 'local', 'bin', 'node'), 0o755);
  const license = path.join(path.dirname(path.dirname(nodeBinary)), 'LICENSE');
  await placeFile(
    license,
    path.join(root, 'usr', 'local', 'share', 'doc', 'node', 'LICENSE'),
    0o644,
  );
  for (const f of ['package.json', 'package-lock.json']) {
    await placeFile(path.join(repoRoot, f), path.join(app, f), 0o644);
  }
  await compile(path.join(app, 'dist'));
  await placeTree(modules, path.join(app, 'node_modules'));
  for (const main of Object.values(entrypoints)) {
    const res = await runTool(nodeBinary, ['--import', confineTo(app), main, '--no-such-flag'], {
      cwd: app,
    });
    const out = res.stdout + res.stderr;
    if (!out.includes("Unknown option '--no-such-flag'")) {
      throw new Error(`${main} does not start from the staged application:\n${out}`);
    }
  }
}
