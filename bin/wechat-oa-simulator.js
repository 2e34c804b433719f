#!/usr/bin/env node
// The `wechat-oa-simulator` command: `flows …` plays convo files, anything else serves the simulator.
// Plain JavaScript that loads the bundles `npm run build` (and `npm pack`) made: nothing is compiled at run time.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Loads a built bundle, or says how to build it (a git checkout has none until `npm run build`). */
async function load(relative) {
  const file = path.join(packageDir, relative);
  if (!existsSync(file)) {
    process.stderr.write(`${relative} is missing: run \`npm run build\` in ${packageDir} first\n`);
    process.exit(1);
  }
  await import(pathToFileURL(file).href);
}

/**
 * npx and npm scripts run this command through `sh -c`; a SIGTERM sent to npm reaches that shell, which dies
 * of it without passing it on. So when npm started us and our parent goes away, stop as on SIGTERM (finish the
 * writes, exit) rather than run on as an orphan holding the port.
 */
function stopWhenOrphaned() {
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    process.kill(process.pid, 'SIGTERM');
  }, 500);
  watch.unref();
}

process.setSourceMapsEnabled(true); // stack traces name the TypeScript sources
const command = process.argv[2];
if (command === '--version' || command === '-v') {
  process.stdout.write(`${JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version}\n`);
} else if (command === 'flows') {
  process.argv.splice(2, 1); // the flow runner reads its own options from process.argv
  await load('client/flows/dist/cli.js');
} else {
  // Installed as a dependency, the package's folder is inside node_modules: keep the store in the
  // folder the command runs from instead, where it survives reinstalls and is easy to find or delete.
  process.env.DB_FILE ||= path.join('.wechat-oa-simulator', 'db.json');
  if (process.env.npm_command) stopWhenOrphaned();
  await load('server/dist/main.js');
}
