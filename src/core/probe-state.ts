import type { Reporter, ReportQuery } from './aggregate.js';
import { type Format, type Gates, type Member, notFound, type ProbeResponse, render, type View } from './aggregate.js';
import type { Probe } from './types.js';
import { PROBES } from './types.js';

/**
 * Everything a probe answer is rendered from, as plain data: the members of each probe (name, criticality, state;
 * no functions and no error objects) and the registry's gates. It can be copied to another thread
 * (`postMessage`), where {@link StateReporter} renders the same bodies as the registry.
 */
export interface ProbeState {
  readonly members: Readonly<Record<Probe, readonly Member[]>>;
  readonly gates: Gates;
}

const FORMATS: readonly Format[] = ['json', 'health+json', 'text'];
const EMPTY: ReadonlySet<string> = new Set();

/**
 * Answers probes from a {@link ProbeState} with the registry's own rendering ({@link render}), so that the bodies
 * are the registry's byte for byte. Plain answers are cached: the state is immutable, a new one gets a new reporter.
 */
export class StateReporter implements Reporter {
  private readonly plain: (ProbeResponse | undefined)[] = [];

  constructor(readonly state: ProbeState) {}

  report(probe: Probe, query?: ReportQuery): ProbeResponse {
    const format = query?.format ?? 'json';
    const details = query?.details === true;
    const members = this.state.members[probe];
    if (query?.check !== undefined) {
      const member = members.find((m) => m.check.name === query.check);
      if (member === undefined) return notFound(probe, query.check);
      return render(this.view(probe, [member], EMPTY, true), format, details);
    }
    if (query?.exclude !== undefined && query.exclude.length > 0) {
      return render(this.view(probe, members, new Set(query.exclude), false), format, details);
    }
    const slot = PROBES.indexOf(probe) * 6 + FORMATS.indexOf(format) * 2 + (details ? 1 : 0);
    this.plain[slot] ??= render(this.view(probe, members, EMPTY, false), format, details);
    return this.plain[slot];
  }

  private view(probe: Probe, members: readonly Member[], excluded: ReadonlySet<string>, single: boolean): View {
    return { probe, members, excluded, gates: this.state.gates, single };
  }
}
