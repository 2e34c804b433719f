// `node bench/botium-flows.cjs URL DIR`: plays the convo files in DIR with Botium's own runner (botium-core, its
// simplerest connector posting to the server's POST /api/messages), one convo after another as botium-bindings
// does: one container, started and stopped around each convo. Prints one JSON line: { passed, failed }.
const { BotDriver } = require('botium-core');

async function main() {
  const [url, dir] = process.argv.slice(2);
  const driver = new BotDriver({
    CONTAINERMODE: 'simplerest',
    SIMPLEREST_URL: `${url}/api/messages`,
    SIMPLEREST_METHOD: 'POST',
    // A fresh conversation id (a uuid) on every start: each convo is a new user, as in our runner.
    SIMPLEREST_BODY_TEMPLATE: JSON.stringify({ userId: '{{botium.conversationId}}', type: 'text', text: '{{msg.messageText}}' }),
    SIMPLEREST_RESPONSE_JSONPATH: '$.replies[*].text',
  });
  const compiler = driver.BuildCompiler();
  compiler.ReadScriptsFromDirectory(dir);
  compiler.ExpandConvos();
  const container = await driver.Build();
  let passed = 0;
  let failed = 0;
  for (const convo of compiler.convos) {
    await container.Start();
    try {
      await convo.Run(container);
      passed++;
    } catch (err) {
      if (failed++ === 0) process.stderr.write(`${convo.header.name}: ${err.message}\n`);
    } finally {
      await container.Stop();
    }
  }
  await container.Clean();
  process.stdout.write(`${JSON.stringify({ passed, failed })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
