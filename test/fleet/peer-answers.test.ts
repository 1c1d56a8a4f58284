// What counts as a peer's answer, the quorum rule, and which addresses are this instance's own: pure functions.
import t from 'tap';
import { normalizeAddress, ownEndpoints, parsePeer, probePort } from '../../src/fleet/discovery.js';
import { readPeerAnswer } from '../../src/fleet/query.js';
import { decide, type PeerAnswer, pick } from '../../src/fleet/quorum.js';

const entry = (over: Record<string, unknown> = {}) => ({
  status: 'fail',
  critical: true,
  since: null,
  lastRun: null,
  durationMs: 3,
  consecutiveFailures: 2,
  consecutiveSuccesses: 0,
  ...over,
});

t.test("only probekit's JSON answer for that one check counts", async (t) => {
  const body = (o: unknown) => JSON.stringify(o);
  t.same(readPeerAnswer(body({ status: 'fail', checks: { db: entry() } }), 'db'), { kind: 'failing' });
  t.same(
    readPeerAnswer(
      body({ status: 'pass', checks: { db: entry({ status: 'pass', consecutiveFailures: 0, consecutiveSuccesses: 4 }) } }),
      'db',
    ),
    { kind: 'passing' },
  );
  t.same(
    readPeerAnswer(body({ status: 'pass', checks: { db: entry({ status: 'pass', consecutiveFailures: 1 }) } }), 'db'),
    { kind: 'failing' },
    'a peer whose last run failed sees it failing, before its threshold turns it fail',
  );
  t.same(
    readPeerAnswer(body({ status: 'fail', checks: { db: entry({ consecutiveFailures: 0, consecutiveSuccesses: 1 }) } }), 'db'),
    { kind: 'passing' },
    'a peer recovering (last run passed, still fail for its successThreshold) reaches the dependency',
  );
  const none = (b: string, why: string) => t.equal(readPeerAnswer(b, 'db').kind, 'none', why);
  none('<html><body>503 Service Unavailable</body></html>', "a proxy's HTML 503 page");
  none('', 'an empty body');
  none('null', 'JSON null');
  none('[]', 'a JSON array');
  none(body({ status: 'fail' }), 'no checks');
  none(body({ status: 'down', checks: { db: entry() } }), 'another status word');
  none(body({ status: 'fail', checks: { cache: entry() } }), 'another check');
  none(body({ status: 'fail', checks: { db: entry(), cache: entry() } }), 'the whole /ready answer, not one check');
  none(body({ status: 'fail', checks: { db: entry({ consecutiveFailures: '2' }) } }), 'counters that are no counts');
  none(body({ status: 'pass', checks: { db: entry() } }), 'a body that disagrees with itself');
  none(body({ status: 'fail', checks: { db: entry({ status: 'unknown', consecutiveFailures: 0 }) } }), 'no run there yet');
  none(body({ status: 'fail', checks: { db: 'fail' } }), 'an entry that is no object');
});

t.test('the quorum rule: at least `quorum` of the peers that answered, and silence fails closed', async (t) => {
  const f: PeerAnswer = { kind: 'failing' };
  const p: PeerAnswer = { kind: 'passing' };
  const n: PeerAnswer = { kind: 'none', why: 'ECONNREFUSED' };
  t.same(decide('db', [f, f, f, f, p], 0.5), {
    shared: true,
    failing: 4,
    answered: 5,
    reason: 'db failing on 4 of 5 peers: shared outage',
  });
  t.equal(decide('db', [f, p], 0.5).shared, true, 'exactly the quorum counts');
  t.equal(decide('db', [f, p, p], 0.5).shared, false, 'below it does not');
  t.equal(decide('db', [f, n, n, n], 0.5).shared, true, 'peers without an answer are not counted');
  t.same(decide('db', [n, n], 0.5), {
    shared: false,
    failing: 0,
    answered: 0,
    reason: 'db failing on 0 of 0 peers: shared outage',
  });
  t.equal(decide('db', [], 0.5).shared, false, 'no peers: fail closed');
  const seven = [f, f, f, f, f, f, f, p, p, p];
  t.equal(decide('db', seven, 0.7).shared, true, '7 of 10 meets 0.7 (no floating-point miss)');
  t.equal(decide('db', [f, f, p], 1).shared, false, 'quorum 1 needs every peer');
});

t.test('pick: at most n, no repeats, each one from the list', async (t) => {
  const list = Array.from({ length: 20 }, (_, i) => i);
  for (let round = 0; round < 50; round++) {
    const got = pick(list, 5);
    t.equal(got.length, 5);
    t.equal(new Set(got).size, 5);
    t.ok(got.every((x) => list.includes(x)));
  }
  t.same(pick([1, 2], 5).sort(), [1, 2], 'fewer than n: all of them');
  t.same(list.slice(0, 3), [0, 1, 2], 'the list itself is left alone');
  const seen = new Set<number>();
  for (let round = 0; round < 200; round++) for (const x of pick(list, 1)) seen.add(x);
  t.ok(seen.size > 10, `random over the whole list (${seen.size} of 20 seen)`);
});

t.test('peer addresses from the `peers` function, and this instance left out', async (t) => {
  t.same(parsePeer('10.0.0.7'), { host: '10.0.0.7', port: undefined });
  t.same(parsePeer('10.0.0.7:8080'), { host: '10.0.0.7', port: 8080 });
  t.same(parsePeer('[FD00::7]:8080'), { host: 'fd00::7', port: 8080 });
  t.same(parsePeer('::ffff:10.0.0.7'), { host: '10.0.0.7', port: undefined });
  for (const bad of ['app.local', '10.0.0.7:0', '10.0.0.7:70000', '', 'x:1', 7, null, '[zz]:1']) {
    t.equal(parsePeer(bad), undefined, `${String(bad)} is no address`);
  }
  t.equal(normalizeAddress('::FFFF:127.0.0.2'), '127.0.0.2');
  const ifs = () => ['127.0.0.1', '10.1.2.3', '::1'];
  t.same([...ownEndpoints([{ address: '127.0.0.2', port: 3000 }], undefined, ifs)], ['127.0.0.2 3000'], 'bound to one address');
  t.same(
    [...ownEndpoints([{ address: '0.0.0.0', port: 3000 }], undefined, ifs)].sort(),
    ['10.1.2.3 3000', '127.0.0.1 3000', '::1 3000'],
    'bound to every address: each interface',
  );
  t.same([...ownEndpoints([], 8080, ifs)].sort(), ['10.1.2.3 8080', '127.0.0.1 8080', '::1 8080'], '`port` with no server');
  t.equal(probePort(undefined, [{ address: '::', port: 3000 }]), 3000, 'the served port by default');
  t.equal(probePort(9000, [{ address: '::', port: 3000 }]), 9000, '`port` first');
  t.equal(probePort(undefined, []), undefined);
});
