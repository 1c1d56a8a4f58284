// The pure aggregation: states -> status word and body per probe, for every format, plus the text sanitiser.
import t from 'tap';
import {
  aggregate,
  type Gates,
  isMember,
  type Member,
  notFound,
  render,
  startupComplete,
  type View,
} from '../../src/core/aggregate.js';
import { CheckTimeoutError } from '../../src/core/errors.js';
import { normalizeCheck } from '../../src/core/options.js';
import { describeError, sanitizeText } from '../../src/core/sanitize.js';
import { type CheckState, INITIAL_STATE } from '../../src/core/state.js';
import type { Check, CheckDetails, Probe } from '../../src/core/types.js';
import { at, EPOCH } from '../helpers/clock.js';

const run = async () => {};

type Kind = 'pass' | 'fail' | 'unknown' | 'recovering' | 'failing-after-pass';

/** A state as the machine would leave it. `recovering`: fail, but passed once; `failing-after-pass`: fail after a pass. */
function state(kind: Kind, extra: Partial<CheckState> = {}): CheckState {
  const base: Record<Kind, Partial<CheckState>> = {
    unknown: {},
    pass: { status: 'pass', since: EPOCH, lastRun: EPOCH, durationMs: 3, consecutiveSuccesses: 1, passedOnce: true },
    fail: {
      status: 'fail',
      since: EPOCH,
      lastRun: EPOCH,
      durationMs: 5,
      consecutiveFailures: 3,
      lastError: new Error('connection lost'),
    },
    recovering: {
      status: 'fail',
      since: EPOCH,
      lastRun: EPOCH,
      durationMs: 5,
      consecutiveSuccesses: 1,
      passedOnce: true,
    },
    'failing-after-pass': {
      status: 'fail',
      since: EPOCH + 1000,
      lastRun: EPOCH + 1000,
      durationMs: 5,
      consecutiveFailures: 1,
      lastError: new Error('connection lost'),
      passedOnce: true,
    },
  };
  const s = { ...INITIAL_STATE, ...base[kind], ...extra };
  // The scheduler records the shown text with the error; states built by hand get it the same way.
  return s.lastError !== null && extra.errorText === undefined ? { ...s, errorText: describeError(s.lastError) } : s;
}

function member(name: string, kind: Kind, opts: Partial<Check> = {}, extra: Partial<CheckState> = {}): Member {
  return { check: normalizeCheck({ name, run, ...opts }, {}), state: state(kind, extra) };
}

const open: Gates = { shuttingDown: false, holds: [], started: true };

function view(probe: Probe, members: Member[], more: Partial<View> = {}): View {
  return { probe, members, excluded: new Set(), gates: open, single: false, ...more };
}

const live = { probes: ['live'] as Probe[] };
const ready = {};
const both = { probes: ['live', 'ready'] as Probe[] };
const optional = { critical: false };

// [description, view, expected status]
const table: [string, View, 'pass' | 'warn' | 'fail'][] = [
  ['live: no checks passes', view('live', []), 'pass'],
  ['live: a passing check passes', view('live', [member('loop', 'pass', live)]), 'pass'],
  ['live: an unknown check passes (never kill a starting pod)', view('live', [member('loop', 'unknown', live)]), 'pass'],
  ['live: a failing critical check fails', view('live', [member('loop', 'fail', live)]), 'fail'],
  ['live: a failing non-critical check warns', view('live', [member('loop', 'fail', { ...live, ...optional })]), 'warn'],
  [
    'live: holds and startup do not apply',
    view('live', [member('loop', 'pass', live)], { gates: { shuttingDown: true, holds: ['warming'], started: false } }),
    'pass',
  ],
  ['ready: all passing passes', view('ready', [member('db', 'pass'), member('cache', 'pass', both)]), 'pass'],
  ['ready: an unknown critical check is not ready', view('ready', [member('db', 'pass'), member('cache', 'unknown')]), 'fail'],
  ['ready: a failing critical check fails', view('ready', [member('db', 'pass'), member('cache', 'fail')]), 'fail'],
  ['ready: a failing non-critical check warns', view('ready', [member('db', 'pass'), member('s', 'fail', optional)]), 'warn'],
  [
    'ready: an unknown non-critical check passes',
    view('ready', [member('db', 'pass'), member('s', 'unknown', optional)]),
    'pass',
  ],
  ['ready: critical failure wins over a warning', view('ready', [member('s', 'fail', optional), member('db', 'fail')]), 'fail'],
  ['ready: held fails', view('ready', [member('db', 'pass')], { gates: { ...open, holds: ['warming cache'] } }), 'fail'],
  ['ready: shutting down fails', view('ready', [member('db', 'pass')], { gates: { ...open, shuttingDown: true } }), 'fail'],
  ['ready: startup not complete fails', view('ready', [member('db', 'pass')], { gates: { ...open, started: false } }), 'fail'],
  [
    'ready: an excluded failing check is ignored',
    view('ready', [member('db', 'pass'), member('cache', 'fail')], { excluded: new Set(['cache']) }),
    'pass',
  ],
  [
    'ready: excluding does not lift a hold',
    view('ready', [member('db', 'pass')], { excluded: new Set(['db']), gates: { ...open, holds: ['x'] } }),
    'fail',
  ],
  ['ready: a fail that passed once still fails readiness', view('ready', [member('db', 'recovering')]), 'fail'],
  [
    'startup: every critical member passed once',
    view('startup', [member('db', 'pass'), member('s', 'unknown', optional)], { gates: { ...open, started: false } }),
    'pass',
  ],
  [
    'startup: a critical member that never passed',
    view('startup', [member('db', 'pass'), member('cache', 'unknown')], { gates: { ...open, started: false } }),
    'fail',
  ],
  [
    'startup: failing now but passed once still passes',
    view('startup', [member('db', 'failing-after-pass')], { gates: { ...open, started: false } }),
    'pass',
  ],
  [
    'startup: once latched it passes whatever the checks say',
    view('startup', [member('db', 'fail')], { gates: { ...open, started: true } }),
    'pass',
  ],
  ['single: a passing check', view('ready', [member('db', 'pass')], { single: true }), 'pass'],
  [
    'single: gates do not apply to one check',
    view('ready', [member('db', 'pass')], { single: true, gates: { shuttingDown: true, holds: ['x'], started: false } }),
    'pass',
  ],
  [
    'single: a failing non-critical check fails on its own path',
    view('ready', [member('s', 'fail', optional)], { single: true }),
    'fail',
  ],
  ['single: unknown on a ready path fails', view('ready', [member('db', 'unknown')], { single: true }), 'fail'],
  ['single: unknown on a live path passes', view('live', [member('loop', 'unknown', live)], { single: true }), 'pass'],
  ['single: no member fails', view('ready', [], { single: true }), 'fail'],
];

for (const [what, v, expected] of table) {
  t.test(what, async (t) => {
    t.equal(aggregate(v), expected);
    const r = render(v, 'json', false);
    t.equal(r.status, expected);
    t.equal(r.statusCode, expected === 'fail' ? 503 : 200);
  });
}

t.test('membership: startup falls back to the ready checks unless some check lists startup', async (t) => {
  const db = normalizeCheck({ name: 'db', run }, {});
  const loop = normalizeCheck({ name: 'loop', run, probes: ['live'] }, {});
  const boot = normalizeCheck({ name: 'boot', run, probes: ['startup'] }, {});
  t.same(
    [db, loop, boot].map((c) => [isMember(c, 'live', false), isMember(c, 'ready', false), isMember(c, 'startup', false)]),
    [
      [false, true, true],
      [true, false, false],
      [false, false, false],
    ],
  );
  t.equal(isMember(db, 'startup', true), false, 'with an explicit startup check, ready checks do not gate startup');
  t.equal(isMember(boot, 'startup', true), true);
  t.equal(startupComplete([member('db', 'unknown', optional)]), true, 'non-critical checks do not gate startup');
  t.equal(startupComplete([member('db', 'unknown')], new Set(['db'])), true);
  t.equal(startupComplete([]), true);
});

t.test('json body: every field of a check, reason when held', async (t) => {
  const v = view('ready', [member('db', 'pass'), member('cache', 'fail')], { gates: { ...open, holds: ['warming cache'] } });
  const body = JSON.parse(render(v, 'json', false).body);
  t.same(body, {
    status: 'fail',
    reason: 'warming cache',
    checks: {
      db: {
        status: 'pass',
        critical: true,
        since: at(0),
        lastRun: at(0),
        durationMs: 3,
        consecutiveFailures: 0,
        consecutiveSuccesses: 1,
      },
      cache: {
        status: 'fail',
        critical: true,
        since: at(0),
        lastRun: at(0),
        durationMs: 5,
        consecutiveFailures: 3,
        consecutiveSuccesses: 0,
        output: 'reason withheld',
      },
    },
  });
  const shown = JSON.parse(render(v, 'json', true).body);
  t.equal(shown.checks.cache.output, 'connection lost');
  const unknown = JSON.parse(render(view('ready', [member('db', 'unknown')]), 'json', false).body);
  t.same(unknown.checks.db, {
    status: 'unknown',
    critical: true,
    since: null,
    lastRun: null,
    durationMs: null,
    consecutiveFailures: 0,
    consecutiveSuccesses: 0,
  });
});

t.test('json body: several reasons are joined; shutting down comes first', async (t) => {
  const v = view('ready', [], { gates: { shuttingDown: true, holds: ['a', 'b'], started: false } });
  t.equal(JSON.parse(render(v, 'json', false).body).reason, 'shutting down; a; b; startup not complete');
  const text = render(v, 'text', false).body;
  t.equal(
    text,
    '[-]shutdown failed: shutting down\n[-]hold failed: a\n[-]hold failed: b\n[-]startup failed: startup not complete\nready check failed\n',
  );
});

const details: CheckDetails = { observedValue: 12.5, observedUnit: 'ms', output: 'lag from mysql://root:pw@db:3306 ok' };

t.test('check details appear, sanitised, also without `details`', async (t) => {
  const m = member('lag', 'pass', ready, { details });
  const body = JSON.parse(render(view('ready', [m]), 'json', false).body);
  t.match(body.checks.lag, { observedValue: 12.5, observedUnit: 'ms', output: 'lag from mysql://***@db:3306 ok' });
  t.notMatch(JSON.stringify(body), /root|pw@/);
});

t.test('health+json body (IETF draft)', async (t) => {
  const v = view('ready', [
    member('db', 'pass'),
    member('lag', 'pass', ready, { details }),
    member('search', 'fail', optional),
    member('cache', 'unknown'),
  ]);
  const r = render(v, 'health+json', false);
  t.equal(r.headers['content-type'], 'application/health+json; charset=utf-8');
  t.equal(r.headers['cache-control'], 'no-store');
  t.same(JSON.parse(r.body), {
    status: 'fail',
    checks: {
      'db:responseTime': [
        { componentId: 'db', componentType: 'component', status: 'pass', observedValue: 3, observedUnit: 'ms', time: at(0) },
      ],
      lag: [
        {
          componentId: 'lag',
          componentType: 'component',
          status: 'pass',
          observedValue: 12.5,
          observedUnit: 'ms',
          time: at(0),
          output: 'lag from mysql://***@db:3306 ok',
        },
      ],
      'search:responseTime': [
        {
          componentId: 'search',
          componentType: 'component',
          status: 'warn',
          observedValue: 5,
          observedUnit: 'ms',
          time: at(0),
          output: 'reason withheld',
        },
      ],
      'cache:responseTime': [{ componentId: 'cache', componentType: 'component', status: 'fail' }],
    },
  });
  const held = render(view('ready', [], { gates: { ...open, holds: ['warming'] } }), 'health+json', false);
  t.same(JSON.parse(held.body), { status: 'fail', output: 'warming', checks: {} });
});

t.test('text body (k8s verbose style)', async (t) => {
  const v = view(
    'ready',
    [
      member('db', 'pass'),
      member('cache', 'fail'),
      member('search', 'fail', optional),
      member('queue', 'unknown'),
      member('boot', 'unknown', { ...optional }),
      member('old', 'fail'),
    ],
    { excluded: new Set(['old']) },
  );
  const r = render(v, 'text', false);
  t.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
  t.equal(
    r.body,
    [
      // Failing (critical) first, then the non-critical ones, then passing, then excluded: each in registration order.
      '[-]cache failed: reason withheld',
      '[-]queue failed: no result yet',
      '[!]search warn (non-critical): reason withheld',
      '[-]boot failed: no result yet',
      '[+]db ok',
      '[+]old excluded: ok',
      'ready check failed',
      '',
    ].join('\n'),
  );
  t.match(render(v, 'text', true).body, /\[-\]cache failed: connection lost\n/);
  const liveText = render(view('live', [member('loop', 'unknown', live)]), 'text', false).body;
  t.equal(liveText, '[+]loop ok (no result yet)\nlive check passed\n');
  const timedOut = member('slow', 'fail', ready, { lastError: new CheckTimeoutError(500) });
  t.equal(render(view('ready', [timedOut]), 'text', true).body, '[-]slow failed: timed out after 500 ms\nready check failed\n');
});

t.test('notFound: a JSON 404 naming the probe, and the name only when it has the shape of a check name', async (t) => {
  const r = notFound('ready', 'no\nsuch');
  t.equal(r.statusCode, 404);
  t.equal(r.headers['content-type'], 'application/json; charset=utf-8');
  t.same(JSON.parse(r.body), { status: 'error', error: 'Not Found', message: 'No ready check with that name' });
  t.same(JSON.parse(notFound('live', 'db.main').body).message, 'No live check named "db.main"');
  t.same(JSON.parse(notFound('ready', 'a'.repeat(129)).body).message, 'No ready check with that name');
});

t.test('headers are shared frozen objects', async (t) => {
  const a = render(view('ready', []), 'json', false);
  const b = render(view('live', []), 'json', false);
  t.equal(a.headers, b.headers);
  t.ok(Object.isFrozen(a.headers));
  t.same(a.headers, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
});

// [input, output]
const sanitizeTable: [string, string][] = [
  ['plain text', 'plain text'],
  ['connect mysql://user:secret@db.internal:3306/app failed', 'connect mysql://***@db.internal:3306/app failed'],
  ['redis://:onlypass@cache:6379', 'redis://***@cache:6379'],
  ['amqp://tenant@mq', 'amqp://***@mq'],
  ['two: pg://a:b@h1 and http://c:d@h2/x', 'two: pg://***@h1 and http://***@h2/x'],
  ['Server=db;User Id=sa;Password=hunter2;', 'Server=db;User Id=sa;Password=***;'],
  ['pwd = "quoted secret" rest', 'pwd = *** rest'],
  ["token: 'abc' and api_key=xyz&x=1", 'token: *** and api_key=***&x=1'],
  ['first line\n    at Socket.connect (node:net:1:1)\n    at other', 'first line'],
  ['windows\r\nline', 'windows'],
];

for (const [input, output] of sanitizeTable) {
  t.test(`sanitizeText: ${JSON.stringify(input).slice(0, 40)}`, async (t) => {
    t.equal(sanitizeText(input), output);
  });
}

t.test('sanitizeText caps the length; describeError prefixes foreign codes only', async (t) => {
  const long = sanitizeText('x'.repeat(1000));
  t.equal(long.length, 300);
  t.ok(long.endsWith('…'));
  t.equal(describeError(Object.assign(new Error('connect refused'), { code: 'ECONNREFUSED' })), 'ECONNREFUSED: connect refused');
  t.equal(
    describeError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })),
    'connect ECONNREFUSED 127.0.0.1:1',
  );
  t.equal(describeError(new CheckTimeoutError(2000)), 'timed out after 2000 ms');
  t.equal(describeError(new Error('')), 'Error');
  const withStack = new Error('top line');
  t.equal(describeError(withStack), 'top line', 'never the stack');
});
