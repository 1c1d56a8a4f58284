// The probe server answers with the app server's bytes: for the same state, every probe path, query, Accept header
// and method gives the same status, headers and body on both.
import t from 'tap';
import type { HttpOptions } from '../../src/http/contract.js';
import { type Check, CheckFailedError } from '../../src/index.js';
import { waitFor } from '../helpers/wait.js';
import { appBase, get, probeBase, until, withProbeServer } from './helpers.js';

function checks(): Check[] {
  const long = { interval: 60_000, timeout: 30_000 };
  return [
    { ...long, name: 'db', run: async () => ({ output: 'primary v16' }) },
    {
      ...long,
      name: 'cache',
      critical: false,
      failureThreshold: 1,
      run: async () => {
        throw new CheckFailedError('connect ECONNREFUSED redis://app:s3cret@cache:6379');
      },
    },
    { ...long, name: 'loop', probes: ['live'], run: async () => ({ observedValue: 3.5, observedUnit: 'ms' }) },
    { ...long, name: 'migrations', probes: ['startup'], run: async () => {} },
    // Never settles within the test: stays `unknown`.
    {
      ...long,
      name: 'slow',
      run: (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    },
  ];
}

const REQUESTS: [string, Record<string, string>, string?][] = [
  ['/live', {}],
  ['/ready', {}],
  ['/startup', {}],
  ['/live?verbose', {}],
  ['/ready?verbose', {}],
  ['/startup?verbose=1', {}],
  ['/ready?exclude=cache', {}],
  ['/ready?exclude=slow&exclude=cache&verbose', {}],
  ['/ready', { accept: 'application/health+json' }],
  ['/live', { accept: 'application/health+json, application/json;q=0.5' }],
  ['/ready/db', {}],
  ['/ready/cache', {}],
  ['/ready/slow?verbose', {}],
  ['/ready/nope', {}],
  ['/live/loop', { accept: 'application/health+json' }],
  ['/ready/loop', {}],
  ['/ready/a/b', {}],
  ['/ready/%zz', {}],
  ['/%72eady', {}],
  ['/ready', {}, 'HEAD'],
  ['/ready/cache?verbose', {}, 'HEAD'],
];

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

async function compare(t: Tap, http: HttpOptions, prefix: string, startup = '/startup') {
  const health = withProbeServer(t, { checks: checks() }, http as object);
  health.hold('warming cache');
  const app = await appBase(t, health, http);
  const probe = await probeBase(health);
  health.start();
  await waitFor(() => {
    const s = health.snapshot().checks;
    return s.db?.lastRun !== null && s.cache?.lastRun !== null && s.loop?.lastRun !== null && s.migrations?.lastRun !== null;
  }, 'the first runs');
  // The last state reaches the thread a message later: poll (bounded) until it shows there.
  const want = (await get(app, `${prefix}/ready?verbose`)).body;
  await until(async () => (await get(probe, `${prefix}/ready?verbose`)).body === want, 'the probe server to have the state');
  for (const [path, headers, method] of REQUESTS) {
    const full = prefix + path.replace('/startup', startup);
    const [a, b] = await Promise.all([get(app, full, headers, method), get(probe, full, headers, method)]);
    const name = `${method ?? 'GET'} ${full} ${JSON.stringify(headers)}`;
    t.equal(b.statusCode, a.statusCode, `${name}: status ${a.statusCode}`);
    t.equal(b.body, a.body, `${name}: body`);
    for (const h of ['content-type', 'cache-control', 'content-length']) {
      t.equal(b.headers[h], a.headers[h], `${name}: ${h}`);
    }
  }
}

t.test('the same bytes as the app server, default options', (t) => compare(t, {}, ''));

t.test('the same bytes with details, a prefix, a path and status codes', (t) =>
  compare(
    t,
    { details: 'always', prefix: '/health', paths: { startup: '/started' }, statusCodes: { warn: 429 } },
    '/health',
    '/started',
  ),
);

t.test('other methods and paths', async (t) => {
  const health = withProbeServer(t);
  const probe = await probeBase(health);
  const post = await get(probe, '/ready', {}, 'POST');
  t.equal(post.statusCode, 405, 'POST: 405');
  t.equal(post.headers.allow, 'GET, HEAD', 'with Allow');
  const other = await get(probe, '/metrics');
  t.equal(other.statusCode, 404, 'an unknown path: 404');
  t.equal(JSON.parse(other.body).status, 'error', 'a JSON error body');
});
