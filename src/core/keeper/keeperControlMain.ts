// The keeper's control client (dist/keeper-control.js), run inside the keeper container
// through the engine's exec: `node keeper-control.js status|reload|probe VERSION|replace IDS WHY`. It only
// speaks to the keeper process over its unix socket, so it is kept tiny (no engine
// client): every exec pays its start-up.
import { createConnection } from 'node:net';
import { CONTROL_SOCKET } from './controlSocket';

const [command, ...args] = process.argv.slice(2);
const socket = createConnection(CONTROL_SOCKET);
let reply = '';
socket.setEncoding('utf8');
socket.on('connect', () =>
  socket.write(JSON.stringify({ command, version: args[0], args }) + '\n'),
);
socket.on('data', (c: string) => (reply += c));
socket.on('end', () => {
  process.stdout.write(reply);
  process.exitCode = reply.startsWith('{"error"') ? 1 : 0;
});
socket.on('error', (e) => {
  process.stderr.write(`keeper not answering: ${e.message}\n`);
  process.exitCode = 3;
});
