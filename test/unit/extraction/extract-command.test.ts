import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runExtract } from '../../../src/cli/extract-command.ts';

const dir = mkdtempSync(join(tmpdir(), 'claimdesk-extract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const demo = JSON.parse(readFileSync(join(import.meta.dirname, '../../../db/seeds/demo-article.json'), 'utf8')) as {
  title: string;
  url: string;
  publisher: string;
  publishedAt: string;
  body: string;
};

async function run(file: string, opts: { json: boolean; threshold?: number }, stdin: Buffer = Buffer.alloc(0)) {
  let stdout = '';
  let stderr = '';
  const code = await runExtract(file, opts, {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    readStdin: () => Promise.resolve(stdin),
  });
  return { code, stdout, stderr };
}

function write(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('claimdesk extract', () => {
  it('lists the demo article claims as JSON, with the Cecot check consistent', async () => {
    const file = write('demo.txt', demo.body);
    const { code, stdout, stderr } = await run(file, { json: true });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const claims = JSON.parse(stdout) as Array<Record<string, unknown> & { text: string; start: number; end: number; checks: Array<{ status: string; detail: string }> }>;
    expect(claims.length).toBeGreaterThanOrEqual(8);
    for (const c of claims) {
      expect(Object.keys(c)).toEqual(expect.arrayContaining(['text', 'start', 'end', 'score', 'kind', 'claimant', 'quantities', 'checks']));
      expect(c.text).toBe(demo.body.slice(c.start, c.end));
    }
    const cecot = claims.find((c) => c.text.includes('14,500 people, 36 per cent of its capacity of 40,000'));
    expect(cecot?.checks).toEqual([{ type: 'arithmetic', status: 'consistent', detail: expect.stringContaining('36.25%') }]);
    expect(claims.some((c) => c.text.includes('record arrivals at its southern border'))).toBe(true);
    // Furniture, captions, bylines, headlines and questions stay out.
    const texts = claims.map((c) => c.text).join('\n');
    for (const excluded of ['Sign up for our newsletter', 'Photograph:', 'Inmates line up', 'By Lucía', 'Share this article', 'Would an American court']) {
      expect(texts).not.toContain(excluded);
    }
    const quote = claims.find((c) => c.text.includes('Our prisons are now the safest'));
    expect(quote?.claimant).toMatch(/Alas/);
  });

  it('writes the demo article as a complete seed record', () => {
    expect(demo.title).toMatch(/El Salvador/);
    expect(new Date(demo.publishedAt).toISOString()).toBe(demo.publishedAt.replace('Z', '.000Z'));
    const words = demo.body.split(/\s+/).filter(Boolean).length;
    expect(words).toBeGreaterThanOrEqual(500);
    expect(words).toBeLessThanOrEqual(700);
  });

  it('prints a readable list by default and reads standard input with -', async () => {
    const { code, stdout } = await run('-', { json: false }, Buffer.from(demo.body));
    expect(code).toBe(0);
    expect(stdout).toMatch(/check-worthy claims:/);
    expect(stdout).toMatch(/check consistent: 14,500 of 40,000 is 36.25%/);
    expect(stdout).toMatch(/why: /);
  });

  it('applies --threshold', async () => {
    const file = write('small.txt', 'Police arrested 14 people on Friday. I think that is a shame.');
    const strict = JSON.parse((await run(file, { json: true })).stdout) as unknown[];
    const loose = JSON.parse((await run(file, { json: true, threshold: 0 })).stdout) as unknown[];
    expect(strict).toHaveLength(1);
    expect(loose).toHaveLength(2);
    const bad = await run(file, { json: true, threshold: 7 });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/threshold/);
  });

  it('prints [] for an empty article', async () => {
    const { code, stdout } = await run(write('empty.txt', '  \n'), { json: true });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual([]);
  });

  it('names a missing file in one line and exits 2', async () => {
    const missing = join(dir, 'nope.txt');
    const { code, stdout, stderr } = await run(missing, { json: true });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(missing);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('rejects invalid UTF-8, NUL bytes and oversized input with one line and exit 2', async () => {
    const invalid = await run(write('bad.txt', Buffer.from([0x50, 0x72, 0x69, 0x63, 0x65, 0xff, 0xfe, 0x2e])), { json: true });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/UTF-8/);
    expect(invalid.stderr.trim().split('\n')).toHaveLength(1);

    const nul = await run('-', { json: true }, Buffer.from('Prices rose\u0000 3%.'));
    expect(nul.code).toBe(2);
    expect(nul.stderr).toMatch(/NUL/);
    expect(nul.stderr.trim().split('\n')).toHaveLength(1);

    const big = await run('-', { json: false }, Buffer.alloc(2 * 1024 * 1024 + 1, 0x61));
    expect(big.code).toBe(2);
    expect(big.stderr).toMatch(/2097152 bytes/);
  });

  it('exits 2 when the path is a directory and 1 for other read failures', async () => {
    const directory = await run(dir, { json: true });
    expect(directory.code).toBe(2);
    expect(directory.stderr).toContain(dir);
    let stderr = '';
    const code = await runExtract('-', { json: true }, {
      stdout: () => undefined,
      stderr: (s) => (stderr += s),
      readStdin: () => Promise.reject(new Error('stream closed')),
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/stream closed/);
  });
});
