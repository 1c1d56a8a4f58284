// What `probekit watch` draws from a server's words: status words looked up safely (`constructor` is a word, not a
// key of Object.prototype), every escape sequence removed whole, and widths in terminal columns (East Asian wide
// characters and emoji take two), so that no line runs past the terminal.
import t from 'tap';
import { oneLine, parseHealthBody } from '../../src/cli/report.js';
import { applyUpdate, initialState } from '../../src/cli/watch-model.js';
import { changeLine, renderTable } from '../../src/cli/watch-view.js';
import { columns, fitColumns, padColumns } from '../../src/cli/width.js';

const NOW = Date.UTC(2030, 0, 1, 12);
// Our own SGR colours (`ESC [ 1;7;31 m`, `ESC [ 0 m`) are the only escape sequences a line may hold.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape character is the point.
const OWN_SGR = /\u001b\[[0-9;]*m/g;
const ESC = '\u001b';

function stateOf(body: object, url = 'http://127.0.0.1:3000/ready') {
  return applyUpdate(initialState(url, NOW - 60_000), {
    at: NOW - 5000,
    mode: 'sse',
    statusCode: undefined,
    accepted: true,
    latencyMs: undefined,
    body: parseHealthBody(JSON.stringify(body)),
  });
}

t.test('server-chosen status words are looked up safely', async (t) => {
  const words = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
  // fromEntries, not assignment: `checks.__proto__ = …` would set the prototype instead of a key.
  const checks = Object.fromEntries(words.map((w) => [w, { status: w, critical: true }]));
  const { state, changes } = stateOf({ status: 'pass', checks });
  for (const color of [true, false]) {
    const lines = renderTable([state], { now: NOW, width: 120, height: 40, color, source: 'poll 1s' });
    const text = lines.join('\n');
    t.notMatch(text, /function|native code|\[object/, `colour ${color}: no property of Object.prototype printed`);
    t.notOk(text.replace(OWN_SGR, '').includes(ESC), `colour ${color}: no escape but our own colours`);
    for (const sgr of text.match(OWN_SGR) ?? []) t.match(sgr.slice(2, -1), /^[0-9;]+$/, 'a style of digits only');
    for (const w of words)
      t.ok(
        lines.some((l) => l.replace(OWN_SGR, '').includes(`  ${w}`)),
        `${w} is listed`,
      );
  }
  for (const c of changes) {
    t.notMatch(changeLine(c, NOW), /function/);
    t.notOk(changeLine(c, NOW).includes(ESC));
  }
});

t.test('escape sequences and controls are stripped whole from every string shown', async (t) => {
  const table: [string, string][] = [
    ['a\u001b[31mred\u001b[0m b', 'ared b'],
    ['\u001b[2J\u001b[Hcleared', 'cleared'],
    ['\u001b[?1049lleft the alternate screen', 'left the alternate screen'],
    ['title\u001b]0;pwned\u0007 set', 'title set'],
    ['link \u001b]8;;http://evil/\u001b\\text\u001b]8;;\u001b\\ end', 'link text end'],
    ['csi8 \u009b31mred', 'csi8 red'],
    ['osc8 \u009d0;t\u009c ok', 'osc8 ok'],
    ['reset \u001bc ok', 'reset ok'],
    ['charset \u001b(0 ok', 'charset ok'],
    ['dcs \u001bPq#0;2;0;0;0\u001b\\ ok', 'dcs ok'],
    ['bell\u0007 bs\u0008 del\u007f', 'bell bs del'],
    ['line\r\nbreak\u2028sep', 'line break sep'],
    ['bidi \u202eevil\u202c ok', 'bidi evil ok'],
    ['lone esc \u001b', 'lone esc'],
  ];
  // Names spelled out in escapes: a raw U+2028 or C1 byte in a test name would break the TAP stream itself.
  const spell = (text: string) => text.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  for (const [input, shown] of table) t.equal(oneLine(input), shown, spell(input));
  // Through the whole path: a body whose every field carries escapes.
  const evil = '\u001b]0;owned\u0007\u001b[31m\u001b[2J';
  const { state, changes } = stateOf({
    status: 'fail',
    reason: `${evil}reason`,
    checks: { [`${evil}name`]: { status: `${evil}fail`, output: `${evil}output`, critical: true } },
  });
  const lines = renderTable([state], { now: NOW, width: 100, height: 20, color: true, source: 'poll 1s' });
  t.notOk(lines.join('\n').replace(OWN_SGR, '').includes(ESC), 'the table holds no escape of the server');
  t.ok(lines.some((l) => l.includes('name') && l.includes('output')));
  for (const c of changes)
    t.notOk(changeLine(c, NOW).includes(ESC) || changeLine(c, NOW).includes('\u0007'), 'nor does a change line');
});

t.test('widths are terminal columns: wide characters count two, marks none', async (t) => {
  const table: [string, number][] = [
    ['abc', 3],
    ['漢字', 4],
    ['한국어', 6],
    ['ｈｅｌｌｏ', 10],
    ['カタカナ', 8],
    ['😀', 2],
    ['✅ ok', 5],
    ['e\u0301', 1],
    ['a\u200bb', 2],
    ['\u{20000}', 2],
    ['ａ\u3000ｂ', 6],
    ['Ω≈ç', 3],
  ];
  for (const [text, n] of table) t.equal(columns(text), n, `${JSON.stringify(text)}: ${n} columns`);
  t.equal(fitColumns('漢字漢字', 5), '漢字…', 'cut on a character, the ellipsis one column');
  t.equal(fitColumns('漢字漢字', 8), '漢字漢字');
  t.equal(fitColumns('😀😀😀', 4), '😀…', 'never half a surrogate pair');
  t.equal(fitColumns('e\u0301e\u0301e\u0301', 3), 'e\u0301e\u0301e\u0301', 'marks take no room');
  t.equal(padColumns('漢', 4), '漢  ');
  t.equal(columns(padColumns('漢字漢字漢字', 7)), 7);
  t.equal(oneLine('😀'.repeat(10), 4), '😀…', 'oneLine never cuts a surrogate pair either');
});

t.test('no table line runs past the terminal, with wide names and outputs', async (t) => {
  const checks: Record<string, { status: string; output: string; critical: boolean }> = {};
  for (let i = 0; i < 6; i++) {
    checks[`データベース-${i}`] = {
      status: i === 2 ? 'fail' : 'pass',
      output: '接続がタイムアウトしました😀'.repeat(20),
      critical: true,
    };
  }
  const { state } = stateOf(
    { status: 'fail', reason: '데이터베이스 연결 실패'.repeat(10), checks },
    'http://例え.テスト:3000/ready',
  );
  for (const width of [40, 79, 120]) {
    for (const color of [false, true]) {
      const lines = renderTable([state], { now: NOW, width, height: 30, color, source: 'watch stream, else poll 1s' });
      const widest = Math.max(...lines.map((l) => columns(l.replace(OWN_SGR, ''))));
      t.ok(widest <= width, `width ${width}, colour ${color}: widest line ${widest} columns`);
    }
  }
  const lines = renderTable([state], { now: NOW, width: 100, height: 30, color: false, source: 'poll 1s' });
  const rows = lines.filter((l) => l.includes('データベース-'));
  t.equal(rows.length, 6);
  // The STATUS column starts at the same column on every check row, whatever the width of the names before it.
  const at = rows.map((l) => columns(l.slice(0, l.search(/ (pass|fail) /) + 1)));
  t.same(new Set(at).size, 1, `status column aligned at ${at[0]}`);
});

t.test('thousands of checks: only the rows that fit are drawn', async (t) => {
  const checks: Record<string, { status: string }> = {};
  for (let i = 0; i < 20_000; i++) checks[`c${i}`] = { status: 'pass' };
  const { state } = stateOf({ status: 'pass', checks });
  const lines = renderTable([state], { now: NOW, width: 80, height: 24, color: false, source: 'poll 1s' });
  t.equal(lines.length, 24);
  t.match(lines.at(-1), /^… 19980 more rows/);
});
