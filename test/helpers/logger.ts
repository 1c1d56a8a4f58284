import type { Logger } from '../../src/core/health.js';

/** One line a {@link RecordingLogger} received. */
export interface LogEntry {
  level: 'info' | 'warn' | 'error' | 'debug';
  obj: object;
  msg: string | undefined;
}

/** A logger that keeps what it is given, so tests stay quiet and can assert on logs. */
export interface RecordingLogger extends Logger {
  readonly entries: LogEntry[];
}

/** Creates a {@link RecordingLogger}. */
export function recordingLogger(): RecordingLogger {
  const entries: LogEntry[] = [];
  const log = (level: LogEntry['level']) => (obj: object, msg?: string) => {
    entries.push({ level, obj, msg });
  };
  return { entries, info: log('info'), warn: log('warn'), error: log('error'), debug: log('debug') };
}
