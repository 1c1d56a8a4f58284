/*
 * The status page's script, served at `<path>/status.js`: plain browser JavaScript, no build step. It follows
 * `location.pathname + '?watch'` (an EventSource, so same origin; it reconnects by itself). The first message is the
 * whole model (`type: 'model'`, with the checks' registration order); the next ones (`type: 'update'`) carry whole
 * only the checks whose status or output changed, and compactly (`runs`) those that only ran, each with its runs
 * since the previous message as result codes. It keeps the model, rebuilds only the rows of those checks (and
 * reorders the table when a check changed group), and the probe cards, notes and summary, with
 * `createElement`/`textContent` (never HTML from data). It turns every `<time>` (absolute UTC in the server's markup)
 * into "12 s ago", with the absolute time as its title, and keeps it ticking every second, counted from the server's
 * clock. When the stream is refused (closed, not just dropped) it reloads the page every `refreshSeconds`, as the
 * `<noscript>` refresh does without JavaScript. Once the first message is applied, `<html data-live="1">`.
 *
 * The markup it builds is that of html.ts, byte for byte: test/status-page/render.test.ts runs this script against a
 * small DOM and compares.
 */
(() => {
  /* biome-ignore lint/suspicious/noRedundantUseStrict: the page loads this file as a classic script, not a module. */
  'use strict';
  const doc = document;
  const root = doc.documentElement;
  const SLOTS = 60;
  const refresh = Number(root.getAttribute('data-refresh')) || 5;
  /* The server's clock minus ours (ms): relative times are counted as the server counts them. */
  let skew = 0;
  const stamp = Date.parse(root.getAttribute('data-now') || '');
  if (Number.isFinite(stamp)) skew = stamp - Date.now();

  const byId = (id) => doc.getElementById(id);

  function el(tag, attrs, children) {
    const e = doc.createElement(tag);
    for (const k in attrs) if (attrs[k] !== undefined) e.setAttribute(k, attrs[k]);
    if (children) {
      for (const c of children) e.appendChild(typeof c === 'string' ? doc.createTextNode(c) : c);
    }
    return e;
  }

  function ago(iso, now) {
    const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
    if (s < 1) return 'just now';
    if (s < 60) return `${s} s ago`;
    if (s < 3600) return `${Math.floor(s / 60)} min ago`;
    if (s < 172800) return `${Math.floor(s / 3600)} h ago`;
    return `${Math.floor(s / 86400)} d ago`;
  }

  function duration(ms) {
    if (ms < 10) return `${ms.toFixed(1)} ms`;
    if (ms < 1000) return `${Math.round(ms)} ms`;
    return `${(ms / 1000).toFixed(2)} s`;
  }

  function label(c) {
    if (c.status === 'fail') return c.critical ? 'fail' : 'warn';
    return c.status;
  }

  function overall(m) {
    const all = [m.status.live, m.status.ready, m.status.startup];
    if (all.indexOf('fail') !== -1) return 'fail';
    return all.indexOf('warn') !== -1 ? 'warn' : 'pass';
  }

  function count(list, fn) {
    let n = 0;
    for (const item of list) if (fn(item)) n++;
    return n;
  }

  function summary(m) {
    const n = m.checks.length;
    const failing = count(m.checks, (c) => label(c) === 'fail');
    const warning = count(m.checks, (c) => label(c) === 'warn');
    const parts = [`${n} ${n === 1 ? 'check' : 'checks'}`];
    if (failing > 0) parts.push(`${failing} failing`);
    if (warning > 0) parts.push(`${warning} warning`);
    const unknown = count(m.checks, (c) => c.status === 'unknown');
    if (unknown > 0) parts.push(`${unknown} unknown`);
    return parts.join(' \u00b7 ');
  }

  const abs = (iso) => `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;

  const none = () => el('span', { class: 'none' }, ['\u2014']);

  function time(iso) {
    if (iso === null) return none();
    return el('time', {}, [abs(iso)]);
  }

  function probes(m) {
    return ['live', 'ready', 'startup'].map((p) => {
      const s = m.status[p];
      return el('div', { class: `probe probe-${s}`, 'data-probe': p, 'data-status': s }, [
        el('span', { class: 'probe-name' }, [p]),
        el('span', { class: 'probe-status' }, [s]),
      ]);
    });
  }

  function notes(m) {
    const out = [];
    if (m.shuttingDown)
      out.push(el('p', { class: 'note note-fail' }, ['Shutting down: readiness fails while the server drains.']));
    for (const h of m.holds) out.push(el('p', { class: 'note note-fail' }, [`Readiness held: ${h}`]));
    if (!m.started) out.push(el('p', { class: 'note note-warn' }, ['Startup has not completed yet.']));
    return out;
  }

  /* Without a prototype: any other letter is no result. */
  const RESULTS = Object.assign(Object.create(null), { s: 'success', f: 'failure', t: 'timeout', p: 'pending' });

  function stripLabel(codes) {
    const n = codes.length;
    if (n === 0) return 'no runs yet';
    let ok = 0;
    for (let i = 0; i < n; i++) if (codes.charAt(i) === 's') ok++;
    return `${n} ${n === 1 ? 'run' : 'runs'}: ${ok} passed, ${n - ok} failed`;
  }

  /* One element per stretch of equal results, as the server renders it. */
  function strip(codes) {
    const runs = codes.slice(-SLOTS);
    const parts = [];
    if (runs.length < SLOTS) parts.push(el('i', { class: `r r-empty n${SLOTS - runs.length}` }));
    for (let i = 0; i < runs.length; ) {
      const code = runs.charAt(i);
      let j = i + 1;
      while (j < runs.length && runs.charAt(j) === code) j++;
      parts.push(el('i', { class: `r r-${RESULTS[code] ?? 'empty'} n${j - i}` }));
      i = j;
    }
    return el('span', { class: 'strip', role: 'img', title: stripLabel(runs) }, parts);
  }

  function streak(c) {
    return [
      el('span', { class: `streak streak-ok${c.consecutiveSuccesses === 0 ? ' zero' : ''}` }, [String(c.consecutiveSuccesses)]),
      el('span', { class: `streak streak-fail${c.consecutiveFailures === 0 ? ' zero' : ''}` }, [String(c.consecutiveFailures)]),
    ];
  }

  function output(c) {
    const parts = [];
    if (c.observedValue !== undefined) {
      const unit = c.observedUnit === undefined ? '' : ` ${c.observedUnit}`;
      parts.push(el('span', { class: 'value' }, [c.observedValue + unit]));
    }
    if (c.output !== undefined) parts.push(el('span', { class: `output output-${c.outputKind ?? 'output'}` }, [c.output]));
    return parts;
  }

  /* The cells have no class: the stylesheet styles them by column. */
  function row(c) {
    const l = label(c);
    const tags = [
      el('span', { class: c.critical ? 'tag tag-critical' : 'tag tag-noncritical' }, [c.critical ? 'critical' : 'non-critical']),
    ];
    for (const p of c.probes) tags.push(el('span', { class: 'tag' }, [p]));
    return el('tr', { class: `check check-${l}`, 'data-check': c.name, 'data-status': c.status }, [
      el('td', {}, [el('span', { class: 'name' }, [c.name]), el('span', { class: 'tags' }, tags)]),
      el('td', {}, [el('span', { class: `pill pill-${l}` }, [l])]),
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
  const map = () => Object.create(null);
  let model = null;
  let byName = map();
  let order = map();
  let names = [];
  let rowEls = map();
  let shown = [];

  function sorted() {
    const list = [];
    for (const k in byName) list.push(byName[k]);
    list.sort((a, b) => rank(a) - rank(b) || order[a.name] - order[b.name]);
    return list;
  }

  function sameNames(list, names) {
    if (list.length !== names.length) return false;
    for (let i = 0; i < list.length; i++) if (list[i].name !== names[i]) return false;
    return true;
  }

  /* Builds the rows of the changed checks (names), then puts every row in page order. */
  function layout(changed) {
    const list = sorted();
    model.checks = list;
    const tbody = byId('checks');
    const same = sameNames(list, shown);
    for (const name of changed) {
      const fresh = row(byName[name]);
      const old = rowEls[name];
      rowEls[name] = fresh;
      /* Same order: the row is swapped in place, the others are not touched. */
      if (old && tbody && same) tbody.replaceChild(fresh, old);
    }
    if (!tbody || same) return;
    shown = list.map((c) => c.name);
    if (list.length === 0)
      tbody.replaceChildren(el('tr', { class: 'empty' }, [el('td', { colspan: '8' }, ['No checks registered.'])]));
    else tbody.replaceChildren(...list.map((c) => rowEls[c.name]));
  }

  function replace(id, nodes) {
    const e = byId(id);
    if (e) e.replaceChildren(...nodes);
  }

  /* Each time: its absolute text (UTC) becomes its datetime and title, once; its text the time since then. */
  function tick() {
    const now = Date.now() + skew;
    for (const t of doc.querySelectorAll('time')) {
      let at = t.getAttribute('datetime');
      if (!at) {
        const text = t.textContent;
        at = text.replace(' ', 'T');
        t.setAttribute('datetime', at);
        t.setAttribute('title', text);
      }
      const rel = ago(at, now);
      if (t.textContent !== rel) t.textContent = rel;
    }
  }

  const codes = (recent) => (typeof recent === 'string' ? recent : '');

  /* A whole model (type 'model'): every row anew. */
  function applyModel(m) {
    const now = Date.parse(m.generatedAt);
    model = m;
    byName = map();
    order = map();
    rowEls = map();
    names = Array.isArray(m.order) ? m.order : m.checks.map((c) => c.name);
    for (let i = 0; i < names.length; i++) order[names[i]] = i;
    const changed = [];
    for (const c of m.checks) {
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
    const now = Date.parse(u.generatedAt);
    const changed = [];
    for (const c of u.checks) {
      if (!c || typeof c.name !== 'string') continue;
      const old = byName[c.name];
      c.codes = ((old ? old.codes : '') + codes(c.recent)).slice(-SLOTS);
      if (!(c.name in order)) {
        order[c.name] = names.length;
        names.push(c.name);
      }
      byName[c.name] = c;
      changed.push(c.name);
    }
    const runs = Array.isArray(u.runs) ? u.runs : [];
    for (const r of runs) {
      if (!Array.isArray(r) || typeof r[0] !== 'number') continue;
      const name = names[r[0]];
      const check = typeof name === 'string' ? byName[name] : undefined;
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
    doc.title = `${overall(m)} \u00b7 health`;
    replace('probes', probes(m));
    replace('notes', notes(m));
    const s = byId('summary');
    if (s) s.textContent = summary(m);
    const u = byId('updated');
    if (u) {
      u.setAttribute('datetime', m.generatedAt);
      u.setAttribute('title', abs(m.generatedAt));
    }
    tick();
    root.setAttribute('data-live', '1');
  }

  function badge(kind, text) {
    const c = byId('conn');
    if (!c) return;
    c.setAttribute('class', `conn conn-${kind}`);
    c.textContent = text;
  }

  if (typeof EventSource === 'function') {
    const source = new EventSource(`${location.pathname}?watch`);
    source.addEventListener('open', () => badge('live', 'live'));
    source.addEventListener('message', (ev) => {
      let m;
      try {
        m = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (!m || typeof m !== 'object' || !Array.isArray(m.checks) || !m.status || !Array.isArray(m.holds)) return;
      if (m.type === 'update') applyUpdate(m);
      else applyModel(m);
      badge('live', 'live');
    });
    source.addEventListener('error', () => {
      if (source.readyState !== 2) return badge('down', 'reconnecting\u2026');
      /* Refused, not dropped: EventSource gives up; reload as the noscript refresh would. */
      badge('down', `offline \u00b7 reloading in ${refresh} s`);
      setTimeout(() => location.reload(), refresh * 1000);
    });
  }
  setInterval(tick, 1000);
})();
