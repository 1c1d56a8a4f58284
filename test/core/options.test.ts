// Option validation: every bad input is an InvalidOptionError whose message names the option and the value,
// a duplicate name is a DuplicateCheckError, and the caller's objects are never written to.
import t from 'tap';
import { codes, DuplicateCheckError, InvalidOptionError, isProbekitError, ProbekitError } from '../../src/core/errors.js';
import type { HealthOptions } from '../../src/core/health.js';
import { CHECK_DEFAULTS, normalizeCheck, normalizeDefaults, normalizeTimers, realTimers } from '../../src/core/options.js';
import type { Check } from '../../src/core/types.js';
import { createHealth } from '../../src/health.js';
import { recordingLogger } from '../helpers/logger.js';

const run = async () => {};
const quiet = { logger: recordingLogger(), shutdown: false as const };

/** Creates a registry with one check built from `fields`; returns what it threw. */
function errorFor(fields: Record<string, unknown>, options: Partial<HealthOptions> = {}): unknown {
  try {
    createHealth({ ...quiet, ...options, checks: [{ name: 'db', run, ...fields } as Check] });
  } catch (err) {
    return err;
  }
  return undefined;
}

// [description, check fields, text the message must contain (option name, value)]
const badChecks: [string, Record<string, unknown>, string[]][] = [
  ['empty name', { name: '' }, ['`name`', '`""`']],
  ['upper-case name', { name: 'Db' }, ['`name`', '"Db"']],
  ['name with a space', { name: 'my db' }, ['`name`', '"my db"']],
  ['name starting with a dash', { name: '-db' }, ['`name`', '"-db"']],
  ['name with a slash', { name: 'a/b' }, ['`name`', '"a/b"']],
  ['name too long', { name: 'a'.repeat(129) }, ['`name`', 'at most 128']],
  ['name not a string', { name: 42 }, ['`name`', '`42`']],
  ['name missing', { name: undefined }, ['`name`', '`undefined`']],
  ['run missing', { run: undefined }, ['`run`', '`undefined`']],
  ['run not a function', { run: 'go' }, ['`run`', '"go"']],
  ['close not a function', { close: 1 }, ['`close`', '`1`']],
  ['interval 0', { interval: 0 }, ['`interval`', '`0`']],
  ['interval negative', { interval: -1000 }, ['`interval`', '`-1000`']],
  ['interval fractional', { interval: 1000.5 }, ['`interval`', '`1000.5`']],
  ['interval a string', { interval: '1000' }, ['`interval`', '"1000"']],
  ['interval NaN', { interval: Number.NaN }, ['`interval`', '`NaN`']],
  ['interval Infinity', { interval: Number.POSITIVE_INFINITY }, ['`interval`', '`Infinity`']],
  ['interval beyond the timer range', { interval: 2 ** 31 }, ['`interval`', '`2147483648`']],
  ['timeout 0', { timeout: 0 }, ['`timeout`', '`0`']],
  ['timeout equal to interval', { interval: 1000, timeout: 1000 }, ['`timeout`', '`interval`', '`1000`']],
  ['timeout above interval', { interval: 1000, timeout: 3000 }, ['`timeout`', '`interval`', '`3000`']],
  ['interval 1 and no timeout', { interval: 1 }, ['Expected `interval` to be at least 2', '`1`']],
  ['jitter negative', { jitter: -0.1 }, ['`jitter`', '`-0.1`', 'from 0 to 0.5']],
  ['jitter above 0.5', { jitter: 0.6 }, ['`jitter`', '`0.6`']],
  ['jitter as a percentage', { jitter: 10 }, ['`jitter`', '`10`']],
  ['jitter NaN', { jitter: Number.NaN }, ['`jitter`', '`NaN`']],
  ['jitter a string', { jitter: '0.1' }, ['`jitter`', '"0.1"']],
  ['failureThreshold 0', { failureThreshold: 0 }, ['`failureThreshold`', '`0`']],
  ['failureThreshold fractional', { failureThreshold: 1.5 }, ['`failureThreshold`', '`1.5`']],
  ['failureThreshold too large', { failureThreshold: 1001 }, ['`failureThreshold`', '`1001`', '1000']],
  ['successThreshold negative', { successThreshold: -2 }, ['`successThreshold`', '`-2`']],
  ['successThreshold a string', { successThreshold: '2' }, ['`successThreshold`', '"2"']],
  ['probes empty', { probes: [] }, ['`probes`', '`[]`']],
  ['probes a string', { probes: 'ready' }, ['`probes`', '"ready"']],
  ['probes with an unknown probe', { probes: ['ready', 'health'] }, ['`probes`', '"health"']],
  ['critical a string', { critical: 'yes' }, ['`critical`', '"yes"']],
  ['fatal not a function', { fatal: true }, ['`fatal`', '`true`']],
  ['an unknown key', { intervall: 1000 }, ['`intervall`']],
  ['a plugin option at the top level', { url: 'http://x' }, ['`url`']],
];

for (const [what, fields, mentions] of badChecks) {
  t.test(`check with ${what} is an InvalidOptionError naming it`, async (t) => {
    const err = errorFor(fields);
    t.type(err, InvalidOptionError);
    t.type(err, ProbekitError);
    t.type(err, Error);
    const e = err as InvalidOptionError;
    t.equal(e.code, codes.INVALID_OPTION);
    t.equal(e.name, 'InvalidOptionError');
    t.ok(isProbekitError(e));
    for (const m of mentions) t.ok(e.message.includes(m), `message mentions ${m}: ${e.message}`);
  });
}

t.test('messages name the check they are about', async (t) => {
  t.match(errorFor({ interval: 0 }), { message: /^check `db`: Expected `interval`/ });
  t.match(errorFor({ interval: 1000, timeout: 1000 }), {
    message: 'check `db`: Expected `timeout` to be < `interval` (1000), got `1000`',
  });
});

t.test('a check that is not an object', async (t) => {
  for (const value of [null, 'db', 42, undefined]) {
    t.throws(() => createHealth({ ...quiet, checks: [value as unknown as Check] }), {
      name: 'InvalidOptionError',
      message: /`check`/,
    });
  }
  t.throws(() => createHealth({ ...quiet, checks: 'db' as unknown as Check[] }), {
    name: 'InvalidOptionError',
    message: /`checks`/,
  });
});

t.test('a duplicate name is a DuplicateCheckError, at creation and on register', async (t) => {
  t.throws(
    () =>
      createHealth({
        ...quiet,
        checks: [
          { name: 'db', run },
          { name: 'db', run },
        ],
      }),
    { name: 'DuplicateCheckError', code: codes.DUPLICATE_CHECK, message: 'A check named `db` is already registered' },
  );
  const health = createHealth({ ...quiet, checks: [{ name: 'db', run }] });
  t.throws(() => health.register({ name: 'db', run }), DuplicateCheckError);
  t.same(health.checkNames, ['db'], 'the first check stays');
});

t.test('defaults are validated like checks and unknown defaults are rejected', async (t) => {
  const cases: [unknown, RegExp][] = [
    [{ interval: 0 }, /`defaults`: Expected `interval` .*got `0`/],
    [{ timeout: 6000 }, /`defaults`: Expected `timeout` to be < `interval` \(5000\), got `6000`/],
    [{ intervall: 1000 }, /Unknown option `defaults.intervall`/],
    [{ name: 'x' }, /Unknown option `defaults.name`/],
    [{ run }, /Unknown option `defaults.run`/],
    [{ probes: ['nope'] }, /`probes`/],
    [null, /`defaults`.*`null`/],
    ['fast', /`defaults`.*"fast"/],
  ];
  for (const [defaults, message] of cases) {
    t.throws(() => createHealth({ ...quiet, defaults: defaults as HealthOptions['defaults'] }), {
      name: 'InvalidOptionError',
      message,
    });
  }
  // A default that fits the default interval but not a check's own interval fails on that check.
  t.throws(() => createHealth({ ...quiet, defaults: { timeout: 3000 }, checks: [{ name: 'db', run, interval: 2000 }] }), {
    message: /check `db`: Expected `timeout` to be < `interval` \(2000\), got `3000`/,
  });
});

t.test('registry options: timers, closeTimeout, options object', async (t) => {
  for (const timers of [null, {}, { setTimeout() {}, clearTimeout() {} }, 'fake']) {
    t.throws(() => createHealth({ ...quiet, timers: timers as never }), { name: 'InvalidOptionError', message: /`timers`/ });
  }
  const noRandom = { setTimeout() {}, clearTimeout() {}, now: () => 0, random: 0.5 };
  t.throws(() => createHealth({ ...quiet, timers: noRandom as never }), { message: /`timers\.random`.*`0\.5`/ });
  for (const closeTimeout of [0, -1, 1.5, '100']) {
    t.throws(() => createHealth({ ...quiet, closeTimeout: closeTimeout as number }), {
      name: 'InvalidOptionError',
      message: new RegExp(`\`closeTimeout\`.*${String(closeTimeout).replace('.', '\\.')}`),
    });
  }
  t.throws(() => createHealth(null as unknown as HealthOptions), { name: 'InvalidOptionError' });
  t.equal(normalizeTimers(undefined), realTimers);
});

t.test('hold() needs a non-empty reason', async (t) => {
  const health = createHealth(quiet);
  for (const reason of ['', undefined, 42]) {
    t.throws(() => health.hold(reason as string), { name: 'InvalidOptionError', message: /`reason`/ });
  }
});

t.test('defaults: what a bare check gets', async (t) => {
  const c = normalizeCheck({ name: 'db', run }, {});
  t.match(c, {
    name: 'db',
    probes: ['ready'],
    live: false,
    ready: true,
    startup: false,
    critical: true,
    interval: 5000,
    jitter: 0.1,
    timeout: 2000,
    failureThreshold: 3,
    successThreshold: 1,
    close: undefined,
  });
  t.same(CHECK_DEFAULTS, {
    probes: ['ready'],
    critical: true,
    interval: 5000,
    jitter: 0.1,
    timeout: 2000,
    failureThreshold: 3,
    successThreshold: 1,
  });
  t.ok(Object.isFrozen(CHECK_DEFAULTS));
  t.ok(Object.isFrozen(c));
  t.ok(Object.isFrozen(c.probes));
  // An unset timeout follows a short interval down, so that `interval` alone is valid.
  t.equal(normalizeCheck({ name: 'db', run, interval: 1000 }, {}).timeout, 500);
  t.equal(normalizeCheck({ name: 'db', run, interval: 2 }, {}).timeout, 1);
  t.equal(normalizeCheck({ name: 'db', run, interval: 60_000 }, {}).timeout, 2000);
  // The check's own setting wins over the defaults, which win over the built-in ones; `critical: false` is kept (no `||`).
  const d = normalizeDefaults({ interval: 10_000, critical: false, failureThreshold: 5 });
  t.match(normalizeCheck({ name: 'db', run, failureThreshold: 1 }, d), {
    interval: 10_000,
    critical: false,
    failureThreshold: 1,
    timeout: 2000,
  });
  t.same(normalizeCheck({ name: 'db', run, probes: ['live', 'live', 'startup'] }, {}).probes, ['live', 'startup']);
});

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

t.test('the caller objects are never written to (frozen input works and is unchanged)', async (t) => {
  const probes = ['ready', 'startup'] as const;
  const check: Check = deepFreeze({
    name: 'db',
    run,
    probes,
    interval: 1000,
    timeout: 100,
    critical: false,
  });
  const checks = deepFreeze([check, { name: 'cache', run }]);
  const defaults = deepFreeze({ failureThreshold: 2, probes: ['live'] as const });
  const options = deepFreeze({ ...quiet, checks, defaults });
  const health = createHealth(options);
  health.register(deepFreeze({ name: 'late', run, interval: 2000 }));
  t.same(check.probes, ['ready', 'startup']);
  t.equal(Object.keys(check).length, 6, 'no key was added');
  t.same(Object.keys(defaults), ['failureThreshold', 'probes']);
  t.same(health.snapshot().checks.cache!.probes, ['live'], 'the defaults applied');
  t.same(health.snapshot().checks.db!.probes, ['ready', 'startup']);
  const normalized = normalizeCheck(check, normalizeDefaults(defaults));
  t.not(normalized, check, 'a new object');
  t.not(normalized.probes, check.probes, 'a copy of probes');
  await health.stop();
});
