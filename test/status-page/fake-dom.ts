// Just enough of a DOM, an EventSource and a clock to run the page's script in a `vm` context, so that the markup the
// script builds can be compared with the markup the server renders (both must be the same), and its reconnect and
// ticking behaviour driven by hand. The real browser test (chromium.test.ts) covers the rest.
import vm from 'node:vm';
import { ago, escapeHtml } from '../../src/status-page/html.js';

export class FakeText {
  constructor(public text: string) {}
}

export class FakeElement {
  readonly attrs = new Map<string, string>();
  children: (FakeElement | FakeText)[] = [];
  constructor(readonly tag: string) {}
  setAttribute(name: string, value: unknown): void {
    this.attrs.set(name, String(value));
  }
  getAttribute(name: string): string | null {
    return this.attrs.get(name) ?? null;
  }
  appendChild<T extends FakeElement | FakeText>(child: T): T {
    this.children.push(child);
    return child;
  }
  replaceChildren(...children: (FakeElement | FakeText)[]): void {
    this.children = children;
  }
  replaceChild(child: FakeElement | FakeText, old: FakeElement | FakeText): void {
    const i = this.children.indexOf(old);
    if (i === -1) throw new Error('fake DOM: replaceChild of a node that is not a child');
    this.children[i] = child;
  }
  removeAttribute(name: string): void {
    this.attrs.delete(name);
  }
  get textContent(): string {
    return this.children.map((c) => (c instanceof FakeText ? c.text : c.textContent)).join('');
  }
  set textContent(text: string) {
    this.children = [new FakeText(String(text))];
  }
  /** The children as HTML, serialised the way the server writes it. */
  get inner(): string {
    return this.children.map((c) => (c instanceof FakeText ? escapeHtml(c.text) : c.outer)).join('');
  }
  get outer(): string {
    let open = `<${this.tag}`;
    for (const [k, v] of this.attrs) open += ` ${k}="${escapeHtml(v)}"`;
    return `${open}>${this.inner}</${this.tag}>`;
  }
  *walk(): Generator<FakeElement> {
    yield this;
    for (const c of this.children) if (c instanceof FakeElement) yield* c.walk();
  }
}

type Listener = (event: { data?: string }) => void;

export class FakeEventSource {
  static instances: FakeEventSource[] = [];
  readyState = 0;
  readonly listeners = new Map<string, Listener[]>();
  constructor(readonly url: string) {
    FakeEventSource.instances.push(this);
  }
  addEventListener(type: string, fn: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  emit(type: string, event: { data?: string } = {}): void {
    for (const fn of this.listeners.get(type) ?? []) fn(event);
  }
}

/** The page as the script finds it: the elements it looks up by id, a clock, timers and a location. */
export interface FakePage {
  readonly root: FakeElement;
  readonly byId: Map<string, FakeElement>;
  readonly sources: FakeEventSource[];
  readonly intervals: (() => void)[];
  readonly timeouts: { fn: () => void; ms: number }[];
  readonly document: { title: string };
  reloads: number;
  /** The page's wall clock, ms since the epoch; move it to make time pass. */
  now: number;
}

const IDS = ['probes', 'notes', 'checks', 'summary', 'updated', 'conn'] as const;

/** Runs `script` against a fresh fake page whose server stamp (`data-now`) is `stamp`, with the clock at `now`. */
export function runScript(script: string, stamp: string, now: number): FakePage {
  const root = new FakeElement('html');
  root.setAttribute('data-now', stamp);
  root.setAttribute('data-refresh', '5');
  const byId = new Map<string, FakeElement>();
  for (const id of IDS) {
    const e = root.appendChild(new FakeElement(id === 'updated' ? 'time' : id === 'checks' ? 'tbody' : 'div'));
    e.setAttribute('id', id);
    byId.set(id, e);
  }
  FakeEventSource.instances = [];
  const page: FakePage = {
    root,
    byId,
    sources: FakeEventSource.instances,
    intervals: [],
    timeouts: [],
    document: { title: '' },
    reloads: 0,
    now,
  };
  const document = Object.assign(page.document, {
    documentElement: root,
    getElementById: (id: string) => byId.get(id) ?? null,
    createElement: (tag: string) => new FakeElement(tag),
    createTextNode: (text: string) => new FakeText(text),
    querySelectorAll: (selector: string) => {
      if (selector !== 'time') throw new Error(`fake DOM: unsupported selector ${selector}`);
      return [...root.walk()].filter((e) => e.tag === 'time');
    },
  });
  class FakeDate extends Date {
    static override now(): number {
      return page.now;
    }
  }
  const context = {
    document,
    EventSource: FakeEventSource,
    Date: FakeDate,
    location: {
      pathname: '/health',
      reload: () => {
        page.reloads++;
      },
    },
    setInterval: (fn: () => void) => page.intervals.push(fn),
    setTimeout: (fn: () => void, ms: number) => page.timeouts.push({ fn, ms }),
  };
  vm.runInNewContext(script, context);
  return page;
}

/**
 * What the script shows of server-rendered rows at `now` (ms since the epoch): each `<time>`'s absolute text becomes
 * its datetime and title, and its text the time since then.
 */
export function liveRows(html: string, now: number): string {
  return html.replace(/<time>([^<]+)<\/time>/g, (_, text: string) => {
    const at = text.replace(' ', 'T');
    return `<time datetime="${at}" title="${text}">${ago(at, now)}</time>`;
  });
}
