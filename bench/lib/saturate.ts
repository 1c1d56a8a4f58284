// The overload scenario's load, as a child process of its own (the runner's prober must not share its loop):
// `--clients` keep-alive clients on `GET <path>`, each sending its next request once the last is answered, until
// the process is killed or its IPC channel closes. Every second it sends the runner the count of answers.
import { Agent, request } from 'node:http';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

const port = Number(arg('port', '0'));
const path = arg('path', '/work');
const clients = Number(arg('clients', '200'));
const agent = new Agent({ keepAlive: true, maxSockets: clients });
let done = 0;

function loop(): void {
  const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
    res.resume();
    res.on('end', () => {
      done++;
      loop();
    });
  });
  req.on('error', () => setTimeout(loop, 50));
  req.end();
}

for (let i = 0; i < clients; i++) loop();
setInterval(() => process.send?.({ type: 'done', done }), 1000);
process.on('disconnect', () => process.exit(0));
