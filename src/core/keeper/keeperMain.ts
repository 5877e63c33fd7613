// The keeper program, bundled on its own (dist/keeper.js) and run in the keeper container
// as `node keeper.js serve`. `node keeper.js probe ADDRESS PORT PATH TIMEOUT_MS` is one health
// probe of a copy from its network, for a client of a remote engine (probeContainer.ts): it
// prints the status code ("none": no answer in time) and exits 0 for 2xx/3xx, else 1.
// Clients ask the keeper things through the engine's exec of keeper-control.js
// (keeperControlMain.ts) over its control socket:
//   status          its state as JSON
//   reload          read the engine now (after a switch), then the state
//   probe VERSION   probe that version's copies now: {copies, healthy}
//   replace IDS WHY replace these copies (comma-separated ids) of the active version: {taken}
// Its configuration comes from the environment the client gave the container: the master
// copy's name and network, the port to listen on, the copies' port; the engine is the
// socket mounted at DOCKER_HOST.
import { createServer } from 'node:net';
import { unlinkSync } from 'node:fs';
import { createEngineClient } from '../engine/DockerodeEngineClient';
import { nodeHostResolutionDeps, resolveEngineHost } from '../engine/hostResolution';
import { nodeHttpProbe } from '../copies/health';
import { Gateway } from './gateway';
import { CONTROL_SOCKET } from './controlSocket';
import { Autoscaler } from './autoscaler';
import { Healer } from './healer';
import { Keeper } from './keeper';

interface ControlRequest {
  command: 'status' | 'reload' | 'probe' | 'replace';
  version?: string;
  args?: string[];
}

async function serve(): Promise<void> {
  const env = process.env;
  const name = required('MASTERCOPY_NAME');
  const network = required('MASTERCOPY_NETWORK');
  const listenPort = Number(required('MASTERCOPY_LISTEN_PORT'));
  const targetPort = Number(required('MASTERCOPY_TARGET_PORT'));
  const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

  const engine = createEngineClient(resolveEngineHost(undefined, nodeHostResolutionDeps(env)));
  const keeper = new Keeper(engine, { name, network, log });
  const healer = new Healer(engine, keeper, { name, network, log });
  const autoscaler = new Autoscaler(engine, keeper, {
    name,
    log,
    onDecision: () => void healer.tick(),
  });
  keeper.onRead = () => void healer.tick();
  await keeper.start();
  // One autoscaling sample a second (a decision when one is due).
  setInterval(() => void autoscaler.tick(), 1000);
  const gateway = new Gateway(keeper, { targetPort });
  await gateway.listen(listenPort);
  log(
    `keeper of ${name}: listening on ${listenPort}, forwarding to port ${targetPort} of the active version's copies`,
  );

  const status = () => ({
    ...keeper.status(),
    listenPort,
    targetPort,
    totals: gateway.stats(),
    healing: healer.snapshot(),
    autoscale: autoscaler.snapshot() ?? null,
  });
  try {
    unlinkSync(CONTROL_SOCKET);
  } catch {
    // none left from an earlier start (the tmpfs is new each start anyway)
  }
  const control = createServer((socket) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const newline = text.indexOf('\n');
      if (newline < 0) return;
      const answer = async (): Promise<unknown> => {
        const req = JSON.parse(text.slice(0, newline)) as ControlRequest;
        if (req.command === 'reload') await keeper.refresh();
        if (req.command === 'probe') return keeper.probeVersion(String(req.version));
        if (req.command === 'replace') {
          const [ids = '', why = 'drifted'] = req.args ?? [];
          return { taken: await healer.replace(ids.split(',').filter(Boolean), why) };
        }
        return status();
      };
      answer().then(
        (value) => socket.end(JSON.stringify(value) + '\n'),
        (e: unknown) =>
          socket.end(JSON.stringify({ error: e instanceof Error ? e.message : String(e) }) + '\n'),
      );
    });
    socket.on('error', () => undefined);
  });
  control.listen(CONTROL_SOCKET);

  const shutdown = () => {
    log('stopping');
    keeper.dispose();
    control.close();
    // Open connections get a moment to finish; the engine kills us after its stop timeout.
    void gateway.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

function required(key: string): string {
  const value = process.env[key];
  if (!value) {
    process.stderr.write(`keeper: ${key} is not set\n`);
    process.exit(2);
  }
  return value;
}

async function probeOnce(args: string[]): Promise<never> {
  const [host = '', port = '', path = '', timeout = ''] = args;
  if (!host || !/^\d{1,5}$/.test(port) || !/^\d{1,6}$/.test(timeout)) {
    process.stderr.write('keeper: usage: probe ADDRESS PORT PATH TIMEOUT_MS\n');
    process.exit(2);
  }
  const status = await nodeHttpProbe({ host, port: Number(port), path }, Number(timeout));
  process.stdout.write(`${status ?? 'none'}\n`);
  process.exit(status !== undefined && status >= 200 && status < 400 ? 0 : 1);
}

const main = process.argv[2] === 'probe' ? probeOnce(process.argv.slice(3)) : serve();
main.catch((e: unknown) => {
  process.stderr.write(`keeper: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
