import { connect } from 'node:net';
import { defineCheck, factoryOptions } from '../src/core/define.js';
import { InvalidOptionError, showValue } from '../src/core/errors.js';
import type { Check, CheckOptions } from '../src/core/types.js';

/** Options of {@link tcpCheck}. */
export interface TcpCheckOptions extends CheckOptions {
  /** Host name or address. */
  host: string;
  /** TCP port, 1-65535. */
  port: number;
  /** Check name. Default `tcp`. */
  name?: string;
}

/**
 * Opens a TCP connection and closes it at once. The socket is destroyed when the check's signal aborts.
 * @throws InvalidOptionError for a missing host or a port outside 1-65535.
 */
export function tcpCheck(options: TcpCheckOptions): Check {
  factoryOptions('tcpCheck', options, ['host', 'port']);
  const host = options?.host;
  const port = options?.port;
  if (typeof host !== 'string' || host.length === 0) {
    throw new InvalidOptionError(`tcpCheck(): Expected \`host\` to be a non-empty string, got \`${showValue(host)}\``);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidOptionError(`tcpCheck(): Expected \`port\` to be an integer in 1-65535, got \`${showValue(port)}\``);
  }
  return defineCheck(
    'tcpCheck',
    options,
    { name: 'tcp', dependency: true },
    {
      run(signal) {
        // An 'abort' listener added to an already aborted signal never fires: reject before connecting.
        if (signal.aborted) return Promise.reject(signal.reason);
        return new Promise<void>((resolve, reject) => {
          const socket = connect({ host, port });
          const onAbort = () => {
            socket.destroy();
            reject(signal.reason);
          };
          signal.addEventListener('abort', onAbort, { once: true });
          const done = (err?: Error) => {
            signal.removeEventListener('abort', onAbort);
            socket.destroy();
            if (err) reject(err);
            else resolve();
          };
          socket.once('connect', () => done());
          socket.once('error', done);
        });
      },
    },
  );
}
