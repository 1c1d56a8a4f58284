// The wrk parser against wrk 4.1's real output (`npx tap bench/test/wrk.test.ts`; not in the default test run).
import t from 'tap';
import { LoadOutputError, parseTime, parseWrk } from '../lib/wrk.js';

const OK = `Running 2s test @ http://127.0.0.1:39124/ready
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.01ms    9.83ms 167.15ms   97.67%
    Req/Sec    31.05k    10.17k   43.41k    80.95%
  Latency Distribution
     50%  672.00us
     75%    1.63ms
     90%    3.03ms
     99%   54.26ms
  64813 requests in 2.10s, 125.85MB read
Requests/sec:  30862.17
Transfer/sec:     59.92MB
`;

const ERRORS = `Running 1s test @ http://127.0.0.1:39124/nope
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.62ms    0.90ms    1.02s    88.68%
    Req/Sec    32.57k     6.30k   37.32k    80.00%
  Latency Distribution
     50%    1.50ms
     75%    1.59ms
     90%    1.98ms
     99%    5.71ms
  32354 requests in 1.00m, 7.84MB read
  Socket errors: connect 0, read 3, write 1, timeout 12
  Non-2xx or 3xx responses: 32354
Requests/sec:  32343.75
Transfer/sec:      7.83MB
`;

t.test('reads a clean run', async (t) => {
  const r = parseWrk(OK);
  t.equal(r.requests, 64813);
  t.equal(r.seconds, 2.1);
  t.equal(r.rps, 30862.17);
  t.equal(r.latency.p50, 0.672);
  t.equal(r.latency.p90, 3.03);
  t.equal(r.latency.p99, 54.26);
  t.equal(r.latency.avg, 3.01);
  t.equal(r.latency.max, 167.15);
  t.equal(r.non2xx, 0);
  t.equal(r.socketErrors, 0);
});

t.test('counts non-2xx answers and socket errors', async (t) => {
  const r = parseWrk(ERRORS);
  t.equal(r.non2xx, 32354);
  t.equal(r.socketErrors, 16);
  t.equal(r.seconds, 60);
  t.equal(r.latency.max, 1020);
});

t.test('time units', async (t) => {
  t.equal(parseTime('500.00us'), 0.5);
  t.equal(parseTime('2ms'), 2);
  t.equal(parseTime('1.5s'), 1500);
  t.equal(parseTime('2m'), 120_000);
  t.throws(() => parseTime('12xs'), LoadOutputError);
});

t.test('output without --latency or from a failed run is an error', async (t) => {
  t.throws(() => parseWrk(OK.replace(/ {2}Latency Distribution[\s\S]*?99%.*\n/, '')), { code: 'BENCH_ERR_LOAD_OUTPUT' });
  t.throws(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused'), LoadOutputError);
});
