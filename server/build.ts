// Bundles the server's own code into server/dist/main.js with esbuild (packages stay in node_modules), so
// `npm start` runs plain Node: no TypeScript compiler loaded at run time, a faster start and less memory.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const serverDir = path.dirname(fileURLToPath(import.meta.url));
export const serverEntry = path.join(serverDir, 'dist', 'main.js');

export async function buildServer(): Promise<void> {
  await build({
    entryPoints: [path.join(serverDir, 'main.ts')],
    outfile: serverEntry,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildServer();
  process.stdout.write(`server built: ${path.relative(process.cwd(), serverEntry)}\n`);
}
