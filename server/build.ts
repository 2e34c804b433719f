// Bundles the server's own code into server/dist/main.js, the flow runner into client/flows/dist/cli.js and the
// client SDK (the package's import) into client/sdk/dist/ with esbuild (packages stay in node_modules, but for
// the Socket.IO client inside the runner), so
// `npm start` and the installed `wechat-oa-simulator` command run plain Node: no TypeScript compiler loaded at
// run time, a faster start and less memory. The SDK's type declarations come from tsc.
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type Plugin } from 'esbuild';

const serverDir = path.dirname(fileURLToPath(import.meta.url));
export const serverEntry = path.join(serverDir, 'dist', 'main.js');
export const flowsEntry = path.join(serverDir, '..', 'client', 'flows', 'dist', 'cli.js');
const root = path.join(serverDir, '..');
const sdkDist = path.join(root, 'client', 'sdk', 'dist');
/** What `import … from 'wechat-oa-simulator'` loads (package.json `exports`). */
export const sdkEntry = path.join(sdkDist, 'index.js');

/**
 * The Socket.IO client and what it loads, bundled into the flow runner instead of loaded from node_modules:
 * Node loads one file faster than some forty modules, which is most of the runner's start-up (about 0.3 s of
 * CPU down to 0.1 s). Their production builds (build/esm), which Node's import condition would pass over for
 * the debug builds.
 */
const RUNNER_BUNDLES: Record<string, string> = {
  'socket.io-client': 'socket.io-client/build/esm/index.js',
  'engine.io-client': 'engine.io-client/build/esm/index.js',
  'socket.io-parser': 'socket.io-parser/build/esm/index.js',
};
const RUNNER_BUNDLED = /^(engine\.io-parser|@socket\.io\/component-emitter|ws|xmlhttprequest-ssl)(\/|$)/;

/** Bundles the Socket.IO client into the flow runner; every other package stays in node_modules. */
const bundleSocketClient: Plugin = {
  name: 'bundle-socket-client',
  setup(builder) {
    // ws is CommonJS and requires Node's own modules: give the ES module bundle a require to do it with.
    // The bundled client's sources would double the package's size; stack traces need only the mappings.
    builder.initialOptions.sourcesContent = false;
    builder.initialOptions.banner = { js: "import { createRequire as createRequireForBundle } from 'node:module';\nconst require = createRequireForBundle(import.meta.url);" };
    builder.onResolve({ filter: /^[^./]/ }, ({ path: name, importer }) => {
      if (Object.hasOwn(RUNNER_BUNDLES, name)) return { path: path.join(root, 'node_modules', RUNNER_BUNDLES[name]!) };
      // The server the runner starts without --url is a chunk of its own and keeps its packages external.
      if (RUNNER_BUNDLED.test(name) && importer.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      return { external: true };
    });
  },
};

/** `split`: modules the entry imports dynamically go to chunks of their own, loaded (with their packages) only when used. */
function bundle(entry: string, outfile: string, split = false, plugins: Plugin[] = []): Promise<unknown> {
  return build({
    entryPoints: [entry],
    ...(split ? { outdir: path.dirname(outfile), splitting: true, chunkNames: 'chunks/[name]-[hash]' } : { outfile }),
    bundle: true,
    ...(plugins.length ? { plugins } : { packages: 'external' as const }),
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
  await bundle(path.join(serverDir, '..', 'client', 'flows', 'cli.ts'), flowsEntry, true, [bundleSocketClient]);
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
