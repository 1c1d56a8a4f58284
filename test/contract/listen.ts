// Shared by the Express and node:http contract runs: start a registry, listen on loopback, and close both.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Health } from '../../src/health.js';
import { request } from '../helpers/http-client.js';
import type { ContractAdapter } from './table.js';

export async function listenAdapter(health: Health, server: Server): Promise<ContractAdapter> {
  health.start();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    health,
    inject: ({ method, url, headers }) => request(base, url, { method, headers }),
    close: async () => {
      await health.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
