import { HISTORY_SLOTS } from './status-page-model.js';

/**
 * The status page's stylesheet, served at `<path>/status.css`: system fonts only (no font is fetched), no `url()`,
 * dark text on light, green / red / amber / grey for pass / fail / warn or timeout / unknown or pending.
 */
export const STATUS_CSS = `:root {
  --bg: #f6f8fa; --card: #ffffff; --line: #d0d7de; --soft: #eaeef2;
  --text: #1f2328; --muted: #656d76;
  --pass: #1a7f37; --pass-bg: #dafbe1; --pass-bar: #2da44e;
  --fail: #cf222e; --fail-bg: #ffebe9; --fail-bar: #d1242f;
  --warn: #9a6700; --warn-bg: #fff8c5; --warn-bar: #d4a72c;
  --unknown: #57606a; --unknown-bg: #eaeef2; --unknown-bar: #8c959f;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace;
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--text); }
body {
  margin: 0; padding: 20px 24px 32px;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
}
code { font-family: var(--mono); font-size: 12px; }
.top { display: flex; flex-wrap: wrap; align-items: center; gap: 12px 28px; margin-bottom: 16px; }
.brand h1 { margin: 0; font-size: 22px; font-weight: 650; letter-spacing: -0.01em; }
.summary { margin: 2px 0 0; color: var(--muted); }
.probes { display: flex; gap: 10px; }
.probe {
  display: flex; flex-direction: column; min-width: 104px; padding: 8px 14px;
  background: var(--card); border: 1px solid var(--line); border-left-width: 5px; border-radius: 8px;
}
.probe-name { font-size: 11px; font-weight: 600; letter-spacing: 0.06em; text-transform: uppercase; color: var(--muted); }
.probe-status { font-size: 18px; font-weight: 700; text-transform: uppercase; letter-spacing: 0.02em; }
.probe-pass { border-left-color: var(--pass-bar); } .probe-pass .probe-status { color: var(--pass); }
.probe-warn { border-left-color: var(--warn-bar); } .probe-warn .probe-status { color: var(--warn); }
.probe-fail { border-left-color: var(--fail-bar); background: var(--fail-bg); } .probe-fail .probe-status { color: var(--fail); }
.meta { margin: 0 0 0 auto; display: flex; gap: 12px; align-items: center; color: var(--muted); font-size: 13px; }
.conn { padding: 2px 9px; border-radius: 999px; font-size: 12px; font-weight: 600; border: 1px solid var(--line); background: var(--card); }
.conn-live { color: var(--pass); border-color: #aceebb; background: var(--pass-bg); }
.conn-live::before { content: "\\25CF\\00A0"; }
.conn-down { color: var(--warn); border-color: #eac54f; background: var(--warn-bg); }
.notes:empty { display: none; }
.notes { display: flex; flex-direction: column; gap: 6px; margin-bottom: 14px; }
.note { margin: 0; padding: 8px 12px; border-radius: 6px; border: 1px solid; font-weight: 500; }
.note-fail { color: var(--fail); background: var(--fail-bg); border-color: #ffcecb; }
.note-warn { color: var(--warn); background: var(--warn-bg); border-color: #f5e0a0; }
.table-wrap { overflow-x: auto; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
table.checks { width: 100%; border-collapse: collapse; }
.checks th {
  text-align: left; font-size: 11px; font-weight: 600; letter-spacing: 0.05em; text-transform: uppercase;
  color: var(--muted); padding: 9px 10px; border-bottom: 1px solid var(--line); background: #f6f8fa; white-space: nowrap;
}
.checks td { padding: 9px 10px; border-bottom: 1px solid var(--soft); vertical-align: middle; }
.checks tbody tr:last-child td { border-bottom: 0; }
.checks tbody tr:hover td { background: #f6f8fa; }
.check-fail td:first-child { box-shadow: inset 4px 0 0 var(--fail-bar); }
.check-warn td:first-child { box-shadow: inset 4px 0 0 var(--warn-bar); }
.check-fail td { background: #fff8f7; }
/* The cells have no class (a row is a few hundred bytes): columns 1 name, 2 status, 3 since, 4 last run, 5 duration,
   6 streak, 7 output, 8 history. */
.check td:nth-child(1) { min-width: 150px; }
.name { display: block; font-family: var(--mono); font-weight: 600; font-size: 13px; }
.tags { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 3px; }
.tag { font-size: 11px; padding: 0 6px; border-radius: 4px; background: var(--soft); color: var(--muted); }
.tag-noncritical { background: var(--warn-bg); color: var(--warn); }
.pill {
  display: inline-block; min-width: 58px; text-align: center; padding: 2px 8px; border-radius: 999px;
  font-size: 12px; font-weight: 700; text-transform: uppercase; letter-spacing: 0.03em;
}
.pill-pass { color: var(--pass); background: var(--pass-bg); }
.pill-fail { color: #ffffff; background: var(--fail-bar); }
.pill-warn { color: var(--warn); background: var(--warn-bg); }
.pill-unknown { color: var(--unknown); background: var(--unknown-bg); }
.check td:nth-child(3), .check td:nth-child(4), .check td:nth-child(5), .check td:nth-child(6) { white-space: nowrap; font-variant-numeric: tabular-nums; }
.check td:nth-child(5) { text-align: right; }
.none { color: var(--muted); }
.streak { display: inline-block; min-width: 50px; font-weight: 600; }
.streak-ok { color: var(--pass); } .streak-fail { color: var(--fail); }
.streak-ok::before { content: "\\2713\\00A0"; } .streak-fail::before { content: "\\2717\\00A0"; }
.streak.zero { color: #afb8c1; font-weight: 400; }
.check td:nth-child(7) { max-width: 320px; overflow-wrap: anywhere; }
.value { display: inline-block; margin-right: 6px; white-space: nowrap; padding: 0 6px; border-radius: 4px; background: var(--soft); font-family: var(--mono); font-size: 12px; }
.output { font-family: var(--mono); font-size: 12px; }
.output-error { color: var(--fail); }
.output-withheld { color: var(--muted); font-style: italic; font-family: inherit; }
.output-output { color: var(--text); }
.check td:nth-child(8) { white-space: nowrap; }
.strip { display: inline-flex; gap: 1px; align-items: stretch; height: 20px; padding: 2px; border-radius: 4px; background: var(--bg); }
.strip:hover { outline: 2px solid var(--text); outline-offset: 0; }
/* One element per stretch of equal results: n<count> sizes it, the gradient draws its slots 4px wide, 1px apart. */
.r {
  display: inline-block; width: calc(var(--n, 1) * 5px - 1px); border-radius: 1px;
  background: repeating-linear-gradient(to right, var(--c) 0 4px, transparent 4px 5px);
}
.r-success { --c: var(--pass-bar); }
.r-failure { --c: var(--fail-bar); }
.r-timeout { --c: var(--warn-bar); }
.r-pending { --c: var(--unknown-bar); }
.r-empty { --c: var(--soft); }
${Array.from({ length: HISTORY_SLOTS }, (_, i) => `.n${i + 1} { --n: ${i + 1}; }`).join('\n')}
.empty td { padding: 24px; text-align: center; color: var(--muted); }
.legend { display: flex; flex-wrap: wrap; gap: 6px 16px; margin: 12px 2px 0; color: var(--muted); font-size: 12px; }
.legend-item { display: inline-flex; align-items: center; gap: 6px; }
.legend .r { height: 12px; width: 6px; background: var(--c); }
.foot { margin: 6px 2px 0; color: var(--muted); font-size: 12px; }
@media (max-width: 720px) {
  body { padding: 12px; }
  .meta { margin-left: 0; }
  .probe { min-width: 0; flex: 1; }
}
`;
