// The servers import probekit from its build (dist/), as users do: tsx would add a `__name()` call to every
// closure probekit creates per request (esbuild keepNames), a cost the published JavaScript does not have.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tsFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function mtime(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Source files under `src/` whose compiled `dist/src/...js` is missing or older than the source. */
export function staleBuild(root = process.cwd()): string[] {
  const stale: string[] = [];
  for (const file of tsFiles(join(root, 'src'))) {
    const rel = relative(root, file);
    const built = mtime(join(root, 'dist', rel.replace(/\.ts$/, '.js')));
    if (built === undefined || built < (mtime(file) ?? 0)) stale.push(rel);
  }
  return stale;
}
