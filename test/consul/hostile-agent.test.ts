// probekit/consul against a hostile or broken agent (loopback servers started here): a redirect is a failure and
// sends nothing to the other origin, an endless answer is cut at 64 KiB without buffering it, and a token the agent
// quotes back never reaches a log line, whatever the form or the place of the quote.
import type { ServerResponse } from 'node:http';
import t from 'tap';
import { consulRegistration } from '../../src/consul/index.js';
import type { LogEntry } from '../helpers/logger.js';
import { waitFor } from '../helpers/wait.js';
import { logged, quietHealth, webOptions } from './helpers.js';
import { endlessBody, type Recorded, recordingServer } from './hostile-agent.js';

const REGISTER = '/v1/agent/service/register';
// Visible ASCII with a quote and a backslash, so that its JSON-escaped and percent-encoded forms differ from it.
const TOKEN = 'Zq9"x\\K7-secret/AbCdEf+0123';

/** Every string of every log line: the message and the strings of its object, however deep. */
function loggedStrings(entries: readonly LogEntry[]): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') out.push(v);
    else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  for (const e of entries) walk([e.msg, e.obj]);
  return out;
}

t.test('a redirect from the agent is a failure naming its status; the other origin receives nothing', async (t) => {
  for (const status of [301, 302, 303, 307, 308]) {
    await t.test(`${status}`, async (t) => {
      const other = await recordingServer(t);
      const agent = await recordingServer(t, (req, res) => {
        res.writeHead(status, { location: `${other.url}${req.url}`, 'content-type': 'text/plain' });
        res.end('Moved');
      });
      const { health, logger } = quietHealth(t);
      const reg = consulRegistration(health, webOptions(agent.url, 3000, { token: TOKEN }));
      health.start();
      await waitFor(() => agent.requests.length >= 3 || other.connections > 0, 'a few attempts (retried with backoff)');
      t.equal(other.connections, 0, 'the other origin was never connected to: no token, no registration');
      const [failure] = logged(logger, 'error', 'Consul registration failed');
      t.match(failure?.obj, { error: `the agent answered ${status}, a redirect (not followed): Moved` });
      t.equal(reg.registered, false);
      t.equal(reg.state, 'registering');
      await reg.close();
      t.equal(agent.requests.at(-1)?.url, '/v1/agent/service/deregister/web-1', 'the deregistration went to the agent');
      t.match(logged(logger, 'warn', 'Consul deregistration failed')[0]?.obj, { error: new RegExp(`answered ${status}`) });
      t.equal(agent.requests[0]?.headers['x-consul-token'], TOKEN, 'the agent itself got the token');
      t.equal(other.connections, 0, 'nor by the deregistration');
      t.same(other.requests, []);
    });
  }
});

t.test('an endless answer is cut at 64 KiB: memory stays bounded and the stream is not drained', async (t) => {
  const BODY = 128 * 1024 * 1024;
  for (const status of [500, 200]) {
    await t.test(`${status} with a ${BODY / 1024 / 1024} MiB body`, async (t) => {
      const endless = endlessBody(status, BODY);
      const agent = await recordingServer(t, endless.handle);
      const { health, logger } = quietHealth(t);
      const reg = consulRegistration(health, webOptions(agent.url, 3000, { requestTimeout: 20_000 }));
      const before = process.memoryUsage().rss;
      let peak = before;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 2);
      t.teardown(() => clearInterval(sampler));
      health.start();
      if (status === 200) await reg.ready();
      else await waitFor(() => logged(logger, 'error', 'Consul registration failed').length > 0, 'the failure', 20_000);
      await reg.close({ deregister: false });
      await waitFor(() => endless.closed(), 'the connection to close', 5000);
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      const grew = (peak - before) / 1024 / 1024;
      t.comment(`RSS grew ${grew.toFixed(1)} MiB; the agent sent ${(endless.sent() / 1024 / 1024).toFixed(1)} MiB`);
      t.ok(grew < 50, `RSS grew ${grew.toFixed(1)} MiB (< 50)`);
      t.ok(endless.sent() < BODY / 4, 'the answer was cut, not read to its end');
      if (status === 500) {
        t.match(logged(logger, 'error', 'Consul registration failed')[0]?.obj, {
          error: /^the agent answered 500: x+… \(answer cut at 64 KiB\)$|^the agent answered 500: x+/,
        });
        t.equal(reg.registered, false);
      } else {
        t.equal(reg.state, 'closed', 'a 200 registers, whatever follows it');
      }
    });
  }
});

t.test('a token the agent quotes back never reaches a log line', async (t) => {
  // Each refusal quotes the token in another form or place, with another status, so that each is logged.
  const refusals: [number, string][] = [
    [403, `ACL not found: ${TOKEN}`],
    [400, JSON.stringify({ error: 'bad request', got: TOKEN })],
    [401, `rejected /v1/acl?t=${encodeURIComponent(TOKEN)} for this agent`],
    // Right where the sanitizer cuts (300 characters): a mask applied after the cut would miss the token's start.
    [500, `${'x'.repeat(295)}${TOKEN} trailing`],
    [429, `${'y'.repeat(1020)}${TOKEN}`],
  ];
  let attempt = 0;
  const agent = await recordingServer(t, (req: Recorded, res: ServerResponse) => {
    const echo = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(text);
    };
    if (req.url === REGISTER) {
      const refusal = refusals[attempt++];
      if (refusal !== undefined) return echo(...refusal);
      return echo(200, '');
    }
    echo(500, `token ${req.headers['x-consul-token']} may not ${req.method} ${req.url}`);
  });
  const { health, logger } = quietHealth(t);
  const reg = consulRegistration(health, webOptions(agent.url, 3000, { token: TOKEN }));
  health.start();
  await reg.ready();
  t.equal(logged(logger, 'error', 'Consul registration failed').length, refusals.length, 'each refusal logged');
  await health.shutdown();
  await reg.close();
  t.ok(logged(logger, 'warn', 'Consul maintenance failed').length > 0, 'maintenance refused, logged');
  t.ok(logged(logger, 'warn', 'Consul deregistration failed').length > 0, 'deregistration refused, logged');
  const strings = loggedStrings(logger.entries);
  t.ok(
    strings.some((s) => s.includes('ACL not found: ***')),
    'the quote is logged, masked',
  );
  const forms = [TOKEN, JSON.stringify(TOKEN).slice(1, -1), encodeURIComponent(TOKEN), 'Zq9', 'secret/AbCdEf'];
  for (const form of forms) {
    t.same(
      strings.filter((s) => s.includes(form)),
      [],
      `no log line holds ${JSON.stringify(form)}`,
    );
  }
  t.equal(agent.requests[0]?.headers['x-consul-token'], TOKEN, 'the token was sent');
});
