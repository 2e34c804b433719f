// Bundles the server's own code into server/dist/main.js, the flow runner into client/flows/dist/cli.js and the
// client SDK (the package's import) into client/sdk/dist/ with esbuild (packages stay in node_modules), so
// `npm start` and the installed `wechat-oa-simulator` command run plain Node: no TypeScript compiler loaded at
// run time, a faster start and less memory. The SDK's type declarations come from tsc.
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const serverDir = path.dirname(fileURLToPath(import.meta.url));
export const serverEntry = path.join(serverDir, 'dist', 'main.js');
export const flowsEntry = path.join(serverDir, '..', 'client', 'flows', 'dist', 'cli.js');
const root = path.join(serverDir, '..');
const sdkDist = path.join(root, 'client', 'sdk', 'dist');
/** What `import … from 'wechat-oa-simulator'` loads (package.json `exports`). */
export const sdkEntry = path.join(sdkDist, 'index.js');

/** `split`: modules the entry imports dynamically go to chunks of their own, loaded (with their packages) only when used. */
function bundle(entry: string, outfile: string, split = false): Promise<unknown> {
  return build({
    entryPoints: [entry],
    ...(split ? { outdir: path.dirname(outfile), splitting: true, chunkNames: 'chunks/[name]-[hash]' } : { outfile }),
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
  });
}

/** Builds the server's entry point, server/dist/main.js. */
export async function buildServer(): Promise<void> {
  await bundle(path.join(serverDir, 'main.ts'), serverEntry);
}

/** Builds the flow runner's command line, client/flows/dist/cli.js; the in-process server is a chunk it loads without --url. */
export async function buildFlows(): Promise<void> {
  await rm(path.dirname(flowsEntry), { recursive: true, force: true });
  await bundle(path.join(serverDir, '..', 'client', 'flows', 'cli.ts'), flowsEntry, true);
}

/** Builds the SDK, client/sdk/dist/index.js, with its declarations under client/sdk/dist/types/ (the sources' layout). */
export async function buildSdk(): Promise<void> {
  await rm(sdkDist, { recursive: true, force: true });
  await bundle(path.join(root, 'client', 'sdk', 'bot-client.ts'), sdkEntry);
  const declarations = ['--declaration', '--emitDeclarationOnly', '--outDir', path.join(sdkDist, 'types'), '--rootDir', root];
  const compiler = ['--target', 'ES2022', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--allowImportingTsExtensions', '--strict', '--skipLibCheck', '--types', 'node', '--lib', 'ES2023,DOM'];
  await promisify(execFile)(path.join(root, 'node_modules', '.bin', 'tsc'), ['--ignoreConfig', ...declarations, ...compiler, path.join(root, 'client', 'sdk', 'bot-client.ts')]);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await Promise.all([buildServer(), buildFlows(), buildSdk()]);
  for (const built of [serverEntry, flowsEntry, sdkEntry]) process.stdout.write(`built: ${path.relative(process.cwd(), built)}\n`);
}
