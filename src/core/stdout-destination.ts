import { pino } from 'pino';

/** Longest a log line may block on a full pipe (a reader that stopped reading) before lines are held back instead. */
const STALL_MS = 1000;
/** Most bytes held back while the reader does not read; past it, lines are dropped. */
const MAX_HELD = 1024 * 1024;

/**
 * Reading `process.stdout`, as pino's default does, makes Node open stdout; a pipe is then non-blocking, so a full
 * pipe is an EAGAIN, bounded below by {@link STALL_MS}, rather than a write that blocks the thread until it drains.
 */
function stdoutFd(): number {
  return process.stdout.fd ?? 1;
}

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

/**
 * The destination of the default logger: standard output, written synchronously, line by line.
 *
 * Why not pino's default (an asynchronous sonic-boom on fd 1): that one registers a `process.on('exit')` handler that
 * flushes what is still buffered with `flushSync()`, and sonic-boom 4's `flushSync()` retries every failed write
 * every 100 ms, forever, whatever the error. When the reader of stdout is gone (a dead log shipper, a closed pipe),
 * the write fails with EPIPE, so `process.exit()` at the end of the shutdown never returns. Written synchronously,
 * nothing is buffered at exit, no exit handler is registered, and EPIPE is seen on the write itself: the log ends
 * there (pino's own guard turns the stream into a no-op; this one stops writing on any other write error too).
 * A reader that is alive but does not read blocks a line for at most {@link STALL_MS}; then lines are held back (up to
 * {@link MAX_HELD} bytes, dropped past it) and written once the pipe takes data again.
 * @param fd The file descriptor. Default `process.stdout.fd` (1; in a worker thread, where it is undefined, 1 too).
 */
export function stdoutDestination(fd: number = stdoutFd()): pino.DestinationStream {
  let stalledSince: number | undefined;
  let ended = false;
  const sonic = pino.destination({
    dest: fd,
    sync: true,
    maxLength: MAX_HELD,
    retryEAGAIN: () => {
      const now = Date.now();
      stalledSince ??= now;
      return now - stalledSince < STALL_MS;
    },
  });
  // A retry after EAGAIN reports a write of 0 bytes: only bytes written mean the reader reads again.
  sonic.on('write', (n: number) => {
    if (n > 0) stalledSince = undefined;
  });
  sonic.on('error', (error: unknown) => {
    const code = codeOf(error);
    // EAGAIN: the stall above gave up on this write; the line is kept and retried with the next one.
    if (code !== 'EAGAIN' && code !== 'EBUSY') ended = true;
  });
  return {
    write(line: string) {
      if (!ended) sonic.write(line);
    },
  };
}
