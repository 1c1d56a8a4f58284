// Loopback servers that misbehave on purpose, for the plugin integration tests:
// - silentServer(): accepts connections, reads everything, never answers (a hung server seen from the client).
// - startProxy(): forwards to a real server and counts the requests of one kind that reach it (client-to-server
//   messages parsed per protocol); stall() makes it go silent like a SIGSTOPped server (connections are accepted,
//   nothing is forwarded either way) and resume() lets the held bytes through.
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A listener that accepts and stays silent. */
export interface SilentServer {
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections open now. */
  readonly open: number;
  close(): Promise<void>;
}

/** Starts a {@link SilentServer} on 127.0.0.1, a free port. */
export async function silentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.resume(); // Read and drop: the client's writes never block, and nothing ever comes back.
  });
  const port = await listen(server);
  return {
    port,
    get accepted() {
      return accepted;
    },
    get open() {
      return sockets.size;
    },
    close: () => closeServer(server, sockets),
  };
}

/** Returns the length of the first whole message at the start of `buf`, or 0 when it is not complete yet. */
type Framer = (buf: Buffer) => number;

/** The protocols the proxy can count, each with what it counts. */
export type Protocol =
  | 'mysql' // COM_QUERY packets whose SQL text matches
  | 'postgres' // simple-protocol Query ('Q') messages whose SQL text matches
  | 'redis' // commands whose name matches (RESP arrays)
  | 'kafka'; // requests whose API key is Metadata (3)

function mysqlFramer(buf: Buffer): number {
  if (buf.length < 4) return 0;
  const len = 4 + buf.readUIntLE(0, 3);
  return buf.length >= len ? len : 0;
}

function kafkaFramer(buf: Buffer): number {
  if (buf.length < 4) return 0;
  const len = 4 + buf.readInt32BE(0);
  return buf.length >= len ? len : 0;
}

/** Postgres: an untyped startup phase (SSLRequest/GSSENCRequest keep it going), then typed messages. */
function postgresFramer(): Framer {
  let startup = true;
  return (buf) => {
    if (startup) {
      if (buf.length < 8) return 0;
      const len = buf.readInt32BE(0);
      if (buf.length < len) return 0;
      const code = buf.readInt32BE(4);
      if (code !== 80877103 && code !== 80877104) startup = false;
      return len;
    }
    if (buf.length < 5) return 0;
    const len = 1 + buf.readInt32BE(1);
    return buf.length >= len ? len : 0;
  };
}

/** Redis: a RESP array of bulk strings (what ioredis and node-redis send), or an inline command line. */
function redisFramer(buf: Buffer): number {
  if (buf.length === 0) return 0;
  const lineEnd = (from: number) => {
    const i = buf.indexOf('\r\n', from);
    return i === -1 ? -1 : i;
  };
  if (buf[0] !== 0x2a) {
    const e = lineEnd(0);
    return e === -1 ? 0 : e + 2;
  }
  let e = lineEnd(0);
  if (e === -1) return 0;
  const count = Number(buf.subarray(1, e).toString());
  let pos = e + 2;
  for (let i = 0; i < count; i++) {
    e = lineEnd(pos);
    if (e === -1) return 0;
    const len = Number(buf.subarray(pos + 1, e).toString());
    pos = e + 2 + len + 2;
    if (pos > buf.length) return 0;
  }
  return pos;
}

function redisCommand(msg: Buffer): string {
  if (msg[0] !== 0x2a) return msg.toString().trim().split(/\s+/)[0] ?? '';
  const first = msg.indexOf('\r\n');
  const second = msg.indexOf('\r\n', first + 2);
  const len = Number(msg.subarray(first + 3, second).toString());
  return msg.subarray(second + 2, second + 2 + len).toString();
}

function counterFor(protocol: Protocol, match: (text: string) => boolean): { framer: Framer; counts: (msg: Buffer) => boolean } {
  switch (protocol) {
    case 'mysql':
      // Command packets start a sequence (id 0); COM_QUERY is 0x03. The handshake response has sequence id 1.
      return { framer: mysqlFramer, counts: (m) => m[3] === 0 && m[4] === 0x03 && match(m.subarray(5).toString()) };
    case 'postgres':
      return { framer: postgresFramer(), counts: (m) => m[0] === 0x51 && match(m.subarray(5, m.length - 1).toString()) };
    case 'redis':
      return { framer: redisFramer, counts: (m) => match(redisCommand(m).toUpperCase()) };
    case 'kafka':
      return { framer: kafkaFramer, counts: (m) => m.length >= 8 && m.readInt16BE(4) === 3 };
  }
}

/** A counting, stallable TCP proxy in front of a real server. */
export interface Proxy {
  port: number;
  /** Matching requests forwarded to the server so far. */
  count: number;
  /** Client connections accepted so far. */
  readonly accepted: number;
  /** Client connections open now. */
  readonly open: number;
  /** Stop forwarding in both directions and stop connecting upstream; connections are still accepted. */
  stall(): void;
  /** Forward again, held bytes first. */
  resume(): void;
  close(): Promise<void>;
}

/** Options of {@link startProxy}. */
export interface ProxyOptions {
  target: { host: string; port: number };
  protocol: Protocol;
  /** Which requests count: SQL text (mysql, postgres) or upper-cased command name (redis). Default all. */
  match?: (text: string) => boolean;
}

/** Starts a {@link Proxy} on 127.0.0.1, a free port. */
export async function startProxy(options: ProxyOptions): Promise<Proxy> {
  const sockets = new Set<Socket>();
  // Each client connection with its flush function (sends what a stall held back).
  const clients = new Map<Socket, () => void>();
  const waiting = new Set<() => void>();
  let stalled = false;
  let accepted = 0;
  const match = options.match ?? (() => true);
  const server = createServer((client) => {
    accepted++;
    sockets.add(client);
    const { framer, counts } = counterFor(options.protocol, match);
    let pendingBytes = Buffer.alloc(0);
    const toServer: Buffer[] = [];
    const toClient: Buffer[] = [];
    let upstream: Socket | null = null;
    const forward = (chunk: Buffer) => {
      pendingBytes = Buffer.concat([pendingBytes, chunk]);
      for (let len = framer(pendingBytes); len > 0; len = framer(pendingBytes)) {
        if (counts(pendingBytes.subarray(0, len))) proxy.count++;
        pendingBytes = pendingBytes.subarray(len);
      }
      upstream?.write(chunk);
    };
    const flush = () => {
      if (stalled || upstream === null) return;
      for (const c of toServer.splice(0)) forward(c);
      for (const c of toClient.splice(0)) client.write(c);
    };
    const open = () => {
      waiting.delete(open);
      if (client.destroyed) return;
      const up = tcpConnect(options.target);
      upstream = up;
      sockets.add(up);
      up.on('data', (c: Buffer) => {
        if (stalled) toClient.push(c);
        else client.write(c);
      });
      up.on('error', () => client.destroy());
      up.on('close', () => {
        sockets.delete(up);
        client.destroy();
      });
      flush();
    };
    client.on('data', (c: Buffer) => {
      if (stalled || upstream === null) toServer.push(c);
      else forward(c);
    });
    client.on('error', () => {});
    client.on('close', () => {
      sockets.delete(client);
      clients.delete(client);
      waiting.delete(open);
      upstream?.destroy();
    });
    clients.set(client, flush);
    if (stalled) waiting.add(open);
    else open();
  });
  const port = await listen(server);
  const proxy: Proxy = {
    port,
    count: 0,
    get accepted() {
      return accepted;
    },
    get open() {
      return clients.size;
    },
    stall() {
      stalled = true;
    },
    resume() {
      stalled = false;
      for (const open of [...waiting]) open();
      for (const flush of clients.values()) flush();
    },
    close: () => closeServer(server, sockets),
  };
  return proxy;
}
