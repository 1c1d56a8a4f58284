/**
 * The status page's script, served at `<path>/status.js`. It follows `location.pathname + '?watch'` (an
 * EventSource, so same origin; it reconnects by itself). The first message is the whole model (`type: 'model'`,
 * with the checks' registration order); the next ones (`type: 'update'`) carry whole only the checks whose status
 * or output changed, and compactly (`runs`) those that only ran, each with its runs since the previous message as
 * result codes. It keeps the model, rebuilds only the rows of those checks (and reorders the table when a check
 * changed group), and the probe cards, notes and summary, with `createElement`/`textContent` (never HTML from data).
 * It turns every `<time>` (absolute UTC in the server's markup) into "12 s ago", with the absolute time as its
 * title, and keeps it ticking every second, counted from the server's clock. When the stream is refused (closed, not
 * just dropped) it reloads the page every `refreshSeconds`, as the `<noscript>` refresh does without JavaScript.
 * Once the first message is applied, `<html data-live="1">`.
 *
 * The markup it builds is that of status-page-html.ts, byte for byte: test/status-page/render.test.ts runs this
 * script against a small DOM and compares. No template literal below: the script is itself inside one.
 */
export const STATUS_JS = `(function () {
  'use strict';
  var doc = document;
  var root = doc.documentElement;
  var SLOTS = 60;
  var refresh = Number(root.getAttribute('data-refresh')) || 5;
  /* The server's clock minus ours (ms): relative times are counted as the server counts them. */
  var skew = 0;
  var stamp = Date.parse(root.getAttribute('data-now') || '');
  if (isFinite(stamp)) skew = stamp - Date.now();

  function byId(id) { return doc.getElementById(id); }

  function el(tag, attrs, children) {
    var e = doc.createElement(tag);
    for (var k in attrs) if (attrs[k] !== undefined) e.setAttribute(k, attrs[k]);
    if (children) {
      for (var i = 0; i < children.length; i++) {
        var c = children[i];
        e.appendChild(typeof c === 'string' ? doc.createTextNode(c) : c);
      }
    }
    return e;
  }

  function ago(iso, now) {
    var s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
    if (s < 1) return 'just now';
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    if (s < 172800) return Math.floor(s / 3600) + ' h ago';
    return Math.floor(s / 86400) + ' d ago';
  }

  function duration(ms) {
    if (ms < 10) return ms.toFixed(1) + ' ms';
    if (ms < 1000) return Math.round(ms) + ' ms';
    return (ms / 1000).toFixed(2) + ' s';
  }

  function label(c) {
    if (c.status === 'fail') return c.critical ? 'fail' : 'warn';
    return c.status;
  }

  function overall(m) {
    var all = [m.status.live, m.status.ready, m.status.startup];
    if (all.indexOf('fail') !== -1) return 'fail';
    return all.indexOf('warn') !== -1 ? 'warn' : 'pass';
  }

  function count(list, fn) {
    var n = 0;
    for (var i = 0; i < list.length; i++) if (fn(list[i])) n++;
    return n;
  }

  function summary(m) {
    var n = m.checks.length;
    var failing = count(m.checks, function (c) { return label(c) === 'fail'; });
    var warning = count(m.checks, function (c) { return label(c) === 'warn'; });
    var parts = [n + ' ' + (n === 1 ? 'check' : 'checks')];
    if (failing > 0) parts.push(failing + ' failing');
    if (warning > 0) parts.push(warning + ' warning');
    var unknown = count(m.checks, function (c) { return c.status === 'unknown'; });
    if (unknown > 0) parts.push(unknown + ' unknown');
    return parts.join(' \\u00b7 ');
  }

  function abs(iso) { return iso.slice(0, 10) + ' ' + iso.slice(11, 19) + 'Z'; }

  function none() { return el('span', { class: 'none' }, ['\\u2014']); }

  function time(iso) {
    if (iso === null) return none();
    return el('time', {}, [abs(iso)]);
  }

  function probes(m) {
    return ['live', 'ready', 'startup'].map(function (p) {
      var s = m.status[p];
      return el('div', { class: 'probe probe-' + s, 'data-probe': p, 'data-status': s }, [
        el('span', { class: 'probe-name' }, [p]),
        el('span', { class: 'probe-status' }, [s]),
      ]);
    });
  }

  function notes(m) {
    var out = [];
    if (m.shuttingDown) out.push(el('p', { class: 'note note-fail' }, ['Shutting down: readiness fails while the server drains.']));
    for (var i = 0; i < m.holds.length; i++) out.push(el('p', { class: 'note note-fail' }, ['Readiness held: ' + m.holds[i]]));
    if (!m.started) out.push(el('p', { class: 'note note-warn' }, ['Startup has not completed yet.']));
    return out;
  }

  var RESULTS = { s: 'success', f: 'failure', t: 'timeout', p: 'pending' };

  function stripLabel(codes) {
    var n = codes.length;
    if (n === 0) return 'no runs yet';
    var ok = 0;
    for (var i = 0; i < n; i++) if (codes.charAt(i) === 's') ok++;
    return n + ' ' + (n === 1 ? 'run' : 'runs') + ': ' + ok + ' passed, ' + (n - ok) + ' failed';
  }

  /* One element per stretch of equal results, as the server renders it. */
  function strip(codes) {
    var runs = codes.slice(-SLOTS);
    var parts = [];
    if (runs.length < SLOTS) parts.push(el('i', { class: 'r r-empty n' + (SLOTS - runs.length) }));
    for (var i = 0; i < runs.length; ) {
      var code = runs.charAt(i);
      var j = i + 1;
      while (j < runs.length && runs.charAt(j) === code) j++;
      var result = Object.prototype.hasOwnProperty.call(RESULTS, code) ? RESULTS[code] : 'empty';
      parts.push(el('i', { class: 'r r-' + result + ' n' + (j - i) }));
      i = j;
    }
    return el('span', { class: 'strip', role: 'img', title: stripLabel(runs) }, parts);
  }

  function streak(c) {
    return [
      el('span', { class: 'streak streak-ok' + (c.consecutiveSuccesses === 0 ? ' zero' : '') }, [String(c.consecutiveSuccesses)]),
      el('span', { class: 'streak streak-fail' + (c.consecutiveFailures === 0 ? ' zero' : '') }, [String(c.consecutiveFailures)]),
    ];
  }

  function output(c) {
    var parts = [];
    if (c.observedValue !== undefined) {
      var unit = c.observedUnit === undefined ? '' : ' ' + c.observedUnit;
      parts.push(el('span', { class: 'value' }, [c.observedValue + unit]));
    }
    if (c.output !== undefined) parts.push(el('span', { class: 'output output-' + (c.outputKind || 'output') }, [c.output]));
    return parts;
  }

  /* The cells have no class: the stylesheet styles them by column. */
  function row(c) {
    var l = label(c);
    var tags = [el('span', { class: c.critical ? 'tag tag-critical' : 'tag tag-noncritical' }, [c.critical ? 'critical' : 'non-critical'])];
    for (var i = 0; i < c.probes.length; i++) tags.push(el('span', { class: 'tag' }, [c.probes[i]]));
    return el('tr', { class: 'check check-' + l, 'data-check': c.name, 'data-status': c.status }, [
      el('td', {}, [el('span', { class: 'name' }, [c.name]), el('span', { class: 'tags' }, tags)]),
      el('td', {}, [el('span', { class: 'pill pill-' + l }, [l])]),
      el('td', {}, [time(c.since)]),
      el('td', {}, [time(c.lastRun)]),
      el('td', {}, [c.durationMs === null ? none() : duration(c.durationMs)]),
      el('td', {}, streak(c)),
      el('td', {}, output(c)),
      el('td', {}, [strip(c.codes)]),
    ]);
  }

  function rank(c) {
    if (c.status === 'pass') return 2;
    return c.critical ? 0 : 1;
  }

  /* The model the page shows: the checks by name, their registration order, the rows built for them. */
  /* Maps without a prototype: a check may be called constructor or __proto__. */
  function map() { return Object.create(null); }
  var model = null;
  var byName = map();
  var order = map();
  var names = [];
  var rowEls = map();
  var shown = [];

  function sorted() {
    var list = [];
    for (var k in byName) list.push(byName[k]);
    list.sort(function (a, b) { return rank(a) - rank(b) || order[a.name] - order[b.name]; });
    return list;
  }

  function sameNames(list, names) {
    if (list.length !== names.length) return false;
    for (var i = 0; i < list.length; i++) if (list[i].name !== names[i]) return false;
    return true;
  }

  /* Builds the rows of the changed checks (names), then puts every row in page order. */
  function layout(changed) {
    var list = sorted();
    model.checks = list;
    var tbody = byId('checks');
    var same = sameNames(list, shown);
    for (var i = 0; i < changed.length; i++) {
      var fresh = row(byName[changed[i]]);
      var old = rowEls[changed[i]];
      rowEls[changed[i]] = fresh;
      /* Same order: the row is swapped in place, the others are not touched. */
      if (old && tbody && same) tbody.replaceChild(fresh, old);
    }
    if (!tbody || same) return;
    shown = list.map(function (c) { return c.name; });
    if (list.length === 0) tbody.replaceChildren(el('tr', { class: 'empty' }, [el('td', { colspan: '8' }, ['No checks registered.'])]));
    else tbody.replaceChildren.apply(tbody, list.map(function (c) { return rowEls[c.name]; }));
  }

  function replace(id, nodes) {
    var e = byId(id);
    if (e) e.replaceChildren.apply(e, nodes);
  }

  /* Each time: its absolute text (UTC) becomes its datetime and title, once; its text the time since then. */
  function tick() {
    var now = Date.now() + skew;
    var times = doc.querySelectorAll('time');
    for (var i = 0; i < times.length; i++) {
      var t = times[i];
      var at = t.getAttribute('datetime');
      if (!at) {
        var text = t.textContent;
        at = text.replace(' ', 'T');
        t.setAttribute('datetime', at);
        t.setAttribute('title', text);
      }
      var rel = ago(at, now);
      if (t.textContent !== rel) t.textContent = rel;
    }
  }

  function codes(recent) { return typeof recent === 'string' ? recent : ''; }

  /* A whole model (type 'model'): every row anew. */
  function applyModel(m) {
    var now = Date.parse(m.generatedAt);
    model = m;
    byName = map();
    order = map();
    rowEls = map();
    names = Array.isArray(m.order) ? m.order : m.checks.map(function (c) { return c.name; });
    for (var i = 0; i < names.length; i++) order[names[i]] = i;
    var changed = [];
    for (var j = 0; j < m.checks.length; j++) {
      var c = m.checks[j];
      c.codes = codes(c.recent).slice(-SLOTS);
      byName[c.name] = c;
      changed.push(c.name);
    }
    shown = [null];
    layout(changed);
    head(m, now);
  }

  /*
   * The checks that changed (whole) and those that only ran (tuples: index, lastRun, durationMs, successes,
   * failures, new runs), each with its runs since the last message: merged into the model, their rows rebuilt.
   */
  function applyUpdate(u) {
    if (!model) return;
    var now = Date.parse(u.generatedAt);
    var changed = [];
    for (var i = 0; i < u.checks.length; i++) {
      var c = u.checks[i];
      if (!c || typeof c.name !== 'string') continue;
      var old = byName[c.name];
      c.codes = ((old ? old.codes : '') + codes(c.recent)).slice(-SLOTS);
      if (!(c.name in order)) {
        order[c.name] = names.length;
        names.push(c.name);
      }
      byName[c.name] = c;
      changed.push(c.name);
    }
    var runs = Array.isArray(u.runs) ? u.runs : [];
    for (var j = 0; j < runs.length; j++) {
      var r = runs[j];
      if (!Array.isArray(r) || typeof r[0] !== 'number') continue;
      var name = names[r[0]];
      var check = typeof name === 'string' ? byName[name] : undefined;
      if (!check) continue;
      check.lastRun = r[1];
      check.durationMs = r[2];
      check.consecutiveSuccesses = r[3];
      check.consecutiveFailures = r[4];
      check.codes = (check.codes + codes(r[5])).slice(-SLOTS);
      changed.push(name);
    }
    model = {
      generatedAt: u.generatedAt,
      status: u.status,
      started: u.started,
      shuttingDown: u.shuttingDown,
      holds: u.holds,
      details: u.details,
      checks: model.checks,
    };
    layout(changed);
    head(model, now);
  }

  /* Everything around the table: title, probe cards, notes, summary, the time of the data. */
  function head(m, now) {
    skew = now - Date.now();
    doc.title = overall(m) + ' \\u00b7 health';
    replace('probes', probes(m));
    replace('notes', notes(m));
    var s = byId('summary');
    if (s) s.textContent = summary(m);
    var u = byId('updated');
    if (u) {
      u.setAttribute('datetime', m.generatedAt);
      u.setAttribute('title', abs(m.generatedAt));
    }
    tick();
    root.setAttribute('data-live', '1');
  }

  function badge(kind, text) {
    var c = byId('conn');
    if (!c) return;
    c.setAttribute('class', 'conn conn-' + kind);
    c.textContent = text;
  }

  if (typeof EventSource === 'function') {
    var source = new EventSource(location.pathname + '?watch');
    source.addEventListener('open', function () { badge('live', 'live'); });
    source.addEventListener('message', function (ev) {
      var m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (!m || typeof m !== 'object' || !Array.isArray(m.checks) || !m.status || !Array.isArray(m.holds)) return;
      if (m.type === 'update') applyUpdate(m);
      else applyModel(m);
      badge('live', 'live');
    });
    source.addEventListener('error', function () {
      if (source.readyState !== 2) return badge('down', 'reconnecting\\u2026');
      /* Refused, not dropped: EventSource gives up; reload as the noscript refresh would. */
      badge('down', 'offline \\u00b7 reloading in ' + refresh + ' s');
      setTimeout(function () { location.reload(); }, refresh * 1000);
    });
  }
  setInterval(tick, 1000);
})();
`;
