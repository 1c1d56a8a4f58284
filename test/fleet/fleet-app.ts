// An app of the fleet tests, run as a child process: node:http on HOST:PORT, a mysql2 pool to the test MariaDB through a
// TCP relay of its own (so that a test can cut this instance's own path to the database), a shared mysqlCheck, and
// the fleet view resolving the peers through the test's dnsmasq.
//   GET /            the app's own route: 200 {"host": HOST}
//   GET /__asked     how many peer questions (GET /ready/<name> from probekit-fleet) this instance received
//   GET /__cut       closes the relay: this instance's pool now meets a closed port
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import mysql from 'mysql2/promise';
import { mysqlCheck } from '../../plugins/mysql.js';
import { createHealth } from '../../src/health.js';

const env = process.env;
const host = env.HOST ?? '127.0.0.1';
const interval = Number(env.INTERVAL ?? 1000);

const sockets = new Set<Socket>();
const relay = createServer((client) => {
  const upstream = connect(Number(env.DB_PORT), '127.0.0.1');
  for (const s of [client, upstream]) {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {
      client.destroy();
      upstream.destroy();
    });
  }
  client.pipe(upstream).pipe(client);
});
await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
const relayPort = (relay.address() as { port: number }).port;

const pool = mysql.createPool({
  host: '127.0.0.1',
  port: relayPort,
  user: 'probekit',
  password: 'probekit',
  database: 'probekit',
  connectionLimit: 2,
  connectTimeout: Math.floor(interval / 2),
});

const health = createHealth({
  shutdown: { delay: Number(env.SHUTDOWN_DELAY ?? 0), timeout: 10_000 },
  fleet: { peers: 'app.fleet.test', dnsServers: [env.DNS as string], timeout: Math.floor(interval / 2) },
});
health.register(mysqlCheck({ pool, shared: true, name: 'db', interval, timeout: Math.floor(interval / 2) }));
health.onShutdown(() => pool.end(), 'mysql pool');

let asked = 0;
const server = createHttpServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  if (req.url === '/__asked') return res.end(JSON.stringify({ asked }));
  if (req.url === '/__cut') {
    relay.close();
    for (const s of sockets) s.destroy();
    return res.end(JSON.stringify({ cut: true }));
  }
  res.end(JSON.stringify({ host }));
});
health.attach(server, { serveProbes: true });
server.on('request', (req) => {
  if (req.headers['user-agent'] === 'probekit-fleet') asked++;
});
health.start();
server.listen(Number(env.PORT), host);
