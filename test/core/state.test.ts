import t from 'tap';
import { applyResult, type CheckState, INITIAL_STATE, type Outcome } from '../../src/core/state.js';

const ok: Outcome = { ok: true, durationMs: 1 };
const bad: Outcome = { ok: false, durationMs: 2, error: new Error('boom'), fatal: false };
const fatal: Outcome = { ok: false, durationMs: 3, error: new Error('refused'), fatal: true };

function run(outcomes: Outcome[], cfg = { failureThreshold: 3, successThreshold: 1 }, start: CheckState = INITIAL_STATE) {
  let state = start;
  const transitions: string[] = [];
  outcomes.forEach((o, i) => {
    const r = applyResult(state, o, cfg, 1000 + i);
    state = r.state;
    if (r.transition) transitions.push(`${r.transition.from}->${r.transition.to}@${1000 + i}`);
  });
  return { state, transitions };
}

const table: {
  name: string;
  outcomes: Outcome[];
  cfg?: { failureThreshold: number; successThreshold: number };
  status: string;
  transitions: string[];
}[] = [
  { name: 'unknown until the first result', outcomes: [], status: 'unknown', transitions: [] },
  { name: 'first success from unknown passes at once', outcomes: [ok], status: 'pass', transitions: ['unknown->pass@1000'] },
  { name: 'failures below the threshold stay unknown', outcomes: [bad, bad], status: 'unknown', transitions: [] },
  {
    name: 'failureThreshold failures from unknown fail',
    outcomes: [bad, bad, bad],
    status: 'fail',
    transitions: ['unknown->fail@1002'],
  },
  {
    name: 'failures below the threshold keep pass',
    outcomes: [ok, bad, bad],
    status: 'pass',
    transitions: ['unknown->pass@1000'],
  },
  {
    name: 'threshold failures from pass fail',
    outcomes: [ok, bad, bad, bad],
    status: 'fail',
    transitions: ['unknown->pass@1000', 'pass->fail@1003'],
  },
  {
    name: 'a success resets the failure count',
    outcomes: [ok, bad, bad, ok, bad, bad],
    status: 'pass',
    transitions: ['unknown->pass@1000'],
  },
  {
    name: 'a fatal error fails at once',
    outcomes: [ok, fatal],
    status: 'fail',
    transitions: ['unknown->pass@1000', 'pass->fail@1001'],
  },
  { name: 'a fatal error from unknown fails at once', outcomes: [fatal], status: 'fail', transitions: ['unknown->fail@1000'] },
  {
    name: 'recovery needs successThreshold successes',
    outcomes: [fatal, ok, ok],
    cfg: { failureThreshold: 3, successThreshold: 3 },
    status: 'fail',
    transitions: ['unknown->fail@1000'],
  },
  {
    name: 'recovery after successThreshold successes',
    outcomes: [fatal, ok, ok, ok],
    cfg: { failureThreshold: 3, successThreshold: 3 },
    status: 'pass',
    transitions: ['unknown->fail@1000', 'fail->pass@1003'],
  },
  {
    name: 'a failure during recovery restarts the count',
    outcomes: [fatal, ok, ok, bad, ok, ok],
    cfg: { failureThreshold: 3, successThreshold: 3 },
    status: 'fail',
    transitions: ['unknown->fail@1000'],
  },
  {
    name: 'failureThreshold 1 fails on the first failure',
    outcomes: [ok, bad],
    cfg: { failureThreshold: 1, successThreshold: 1 },
    status: 'fail',
    transitions: ['unknown->pass@1000', 'pass->fail@1001'],
  },
  {
    name: 'more failures while failed make no transition',
    outcomes: [fatal, bad, fatal],
    status: 'fail',
    transitions: ['unknown->fail@1000'],
  },
];

for (const row of table) {
  t.test(row.name, async (t) => {
    const { state, transitions } = run(row.outcomes, row.cfg);
    t.equal(state.status, row.status);
    t.same(transitions, row.transitions);
  });
}

t.test('keeps counts, times, duration and last error', async (t) => {
  const { state } = run([ok, bad, bad]);
  t.equal(state.consecutiveFailures, 2);
  t.equal(state.consecutiveSuccesses, 0);
  t.equal(state.since, 1000, 'since = time of the last transition');
  t.equal(state.lastRun, 1002);
  t.equal(state.durationMs, 2);
  t.equal(state.lastError?.message, 'boom');
  t.equal(state.passedOnce, true);
  const after = run([ok], undefined, state).state;
  t.equal(after.lastError, null, 'a success clears the last error');
  t.equal(after.consecutiveSuccesses, 1);
  t.equal(after.consecutiveFailures, 0);
});

t.test('passedOnce latches and never reads a clock', async (t) => {
  const { state } = run([ok, fatal]);
  t.equal(state.passedOnce, true);
  t.equal(run([fatal, bad]).state.passedOnce, false);
  t.ok(Object.isFrozen(INITIAL_STATE), 'the initial state is shared and frozen');
});

t.test('keeps check details of a success', async (t) => {
  const r = applyResult(
    INITIAL_STATE,
    { ok: true, durationMs: 1, details: { observedValue: 4, observedUnit: 'ms' } },
    { failureThreshold: 1, successThreshold: 1 },
    5,
  );
  t.same(r.state.details, { observedValue: 4, observedUnit: 'ms' });
});

t.test('successThreshold only gates recovery: the first success from unknown passes at once', async (t) => {
  const { state, transitions } = run([ok], { failureThreshold: 3, successThreshold: 3 });
  t.equal(state.status, 'pass');
  t.same(transitions, ['unknown->pass@1000']);
});

t.test('a failure drops the details of the last success; the input state is not changed', async (t) => {
  const cfg = { failureThreshold: 3, successThreshold: 1 };
  const passed = applyResult(INITIAL_STATE, { ok: true, durationMs: 1, details: { observedValue: 4 } }, cfg, 5).state;
  const frozen = Object.freeze({ ...passed });
  const failed = applyResult(frozen, bad, cfg, 6).state;
  t.equal(failed.details, null);
  t.same(frozen.details, { observedValue: 4 }, 'the previous state is untouched');
  t.not(failed, frozen);
});
