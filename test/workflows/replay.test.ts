import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { describe, expect, it, inject } from 'vitest';
import { installRuntime } from '../../src/worker/index.ts';
import { testLogger } from '../support/env.ts';
import { historyFromJson } from './history-json.ts';

const dir = fileURLToPath(new URL('./histories/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

// Histories recorded from real runs (npm run record:histories) replayed against today's bundle:
// a change that makes the workflows non-deterministic fails here, before it meets a running claim.
describe('replay of recorded workflow histories', () => {
  it('has a recorded history for every path', () => {
    const paths = ['happy-path', 'send-back', 'withdraw', 'correction', 'escalation-and-lease', 'continue-as-new', 'article-intake', 'lease-renewal', 'correction-withdrawn', 'operator-cancel'];
    for (const p of paths) expect(files.some((f) => f.startsWith(p))).toBe(true);
  });

  it('replays every recorded history without non-determinism', async () => {
    installRuntime(testLogger, 0);
    const histories = files.map((file) => {
      const { workflowId, history } = JSON.parse(readFileSync(`${dir}${file}`, 'utf8')) as { workflowId: string; history: unknown };
      return { workflowId: `${file}:${workflowId}`, history: historyFromJson(history) };
    });
    const replayed: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: inject('workflowBundlePath') } }, histories)) {
      expect(result.error, `${result.workflowId}: ${String(result.error)}`).toBeUndefined();
      replayed.push(result.workflowId);
    }
    expect(replayed).toHaveLength(files.length);
  });
});
