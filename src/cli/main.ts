#!/usr/bin/env node
// The `probekit` executable. An exec probe starts it every period, so start-up is its cost (`npm run bench:cli`
// measures it). `probe` is imported statically: a dynamic import() would cost the probe one more module job.
// `watch` and the gRPC client are imported only when asked for.
import { VERSION } from './args.js';
import { probeCommand } from './probe.js';

const HELP = `usage: probekit probe URL [flags]                 one HTTP probe, then exit (0 healthy)
       probekit probe --grpc HOST:PORT [flags]     one grpc.health.v1 Check, then exit
       probekit watch URL... [flags]               a live table of the checks of one or more endpoints
       probekit --version

probekit COMMAND --help shows the flags of a command.
`;

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === 'probe') {
    await probeCommand(rest);
  } else if (command === 'watch') {
    const { watchCommand } = await import('./watch.js');
    await watchCommand(rest);
  } else if (command === '--version' || command === 'version') {
    process.stdout.write(`probekit ${VERSION}\n`);
  } else if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
  } else {
    process.stderr.write(
      `${command === undefined ? 'probekit: missing command' : `probekit: unknown command ${JSON.stringify(command)}`}\n${HELP}`,
    );
    process.exitCode = 1;
  }
}

// No top-level await: the published bin is this file bundled as CommonJS (see package.json `build:cli`).
main().catch((err: unknown) => {
  process.stderr.write(`probekit: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
