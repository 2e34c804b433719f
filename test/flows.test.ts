// The project's own flows (test/flows), one mocha test per flow, against the real server.
import path from 'node:path';
import { expect } from 'chai';
import { loadFlows } from '../client/flows/load.ts';
import { describeFailure } from '../client/flows/reporters.ts';
import { runFlow } from '../client/flows/runner.ts';
import { startServer, type Running } from './helpers.ts';

const suite = loadFlows([path.join(import.meta.dirname, 'flows')]);

describe('flows in test/flows', () => {
  let server: Running;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  it('cover every bot behaviour', () => {
    const names = suite.flows.map((f) => f.name).join('\n');
    for (const behaviour of ['Welcome', 'English', 'Chinese', 'Help and list', 'paging', 'Menu', 'Default reply', 'ways to ask']) {
      expect(names).to.include(behaviour);
    }
  });

  for (const flow of suite.flows) {
    it(flow.name, async () => {
      const result = await runFlow(flow, { url: server.url, utterances: suite.utterances, timeoutMs: 5000 });
      if (!result.passed) expect.fail(`\n${describeFailure(result)}`);
    });
  }
});
