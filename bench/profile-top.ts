// Prints the hottest functions of V8 CPU profiles: `node --import tsx bench/profile-top.ts <file.cpuprofile>... [--top N]`.
import { formatTop } from './lib/profile.js';

const argv = process.argv.slice(2);
const i = argv.indexOf('--top');
const top = i === -1 ? 20 : Number(argv[i + 1]);
const files = argv.filter((a, j) => a !== '--top' && (i === -1 || j !== i + 1));
if (files.length === 0 || !Number.isInteger(top) || top < 1) {
  process.stderr.write('Usage: node --import tsx bench/profile-top.ts <file.cpuprofile>... [--top N]\n');
  process.exit(2);
}
for (const f of files) process.stdout.write(`${formatTop(f, top)}\n\n`);
