import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const major = (version: string): number => Number(version.replace(/^v/, '').split('.')[0]);

describe('the runtime is a supported Node.js', () => {
  it('tests run on Node 22 or later (Node 20 is past end of life)', () => {
    expect(major(process.versions.node)).toBeGreaterThanOrEqual(22);
  });

  it('package.json requires Node >= 22.12 and brings Node 24 for machines with an older system Node', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      engines: { node: string };
      devDependencies: Record<string, string>;
      allowScripts: Record<string, boolean>;
    };
    expect(pkg.engines.node).toBe('>=22.12');
    expect(pkg.devDependencies.node).toMatch(/^\^24\./);
    expect(pkg.allowScripts.node).toBe(true);
  });

  it('npx resolves node to the project runtime whatever the system Node is', async () => {
    // npm puts node_modules/.bin first on PATH for npx and npm scripts, so `#!/usr/bin/env node` in bin/claimdesk.js
    // and every npm script run on the bundled binary. Run from the repo with only the system PATH to show it.
    const { stdout } = await execFileAsync('npm', ['exec', '--offline', '--', 'node', '-p', 'process.versions.node'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
      timeout: 30_000,
    });
    expect(major(stdout.trim())).toBeGreaterThanOrEqual(24);
  });
});
