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

  it('has a recorded history on each side of the claim workflow\'s newest patches', () => {
    // A patch's marker (core_patch) carries its id as a JSON payload.
    const patchesIn = (file: string): string[] => {
      const { history } = JSON.parse(readFileSync(`${dir}${file}`, 'utf8')) as { history: { events: Array<{ markerRecordedEventAttributes?: { markerName?: string; details?: Record<string, { payloads?: Array<{ data?: string }> }> } }> } };
      return history.events.flatMap((e) => {
        const m = e.markerRecordedEventAttributes;
        const data = m?.markerName === 'core_patch' ? m.details?.['patch-data']?.payloads?.[0]?.data : undefined;
        return data ? [(JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id: string }).id] : [];
      });
    };
    const claimFiles = files.filter((f) => !f.startsWith('article-intake'));
    // local-intake stands for every earlier patch in runs begun on it; runs begun between those patches and it
    // (recorded at 2a3ab9a) still ask each one, and runs older still have none of them.
    for (const [patch, recordedIn] of [
      ['local-intake', 'happy-path@local-intake.json'],
      ['parallel-research', 'happy-path@2a3ab9a.json'],
      ['outbound-task-queue', 'happy-path@2a3ab9a.json'],
      ['state-after-write', 'happy-path@2a3ab9a.json'],
    ] as const) {
      const withPatch = claimFiles.filter((f) => patchesIn(f).includes(patch));
      expect(withPatch, patch).toContain(recordedIn);
      expect(claimFiles.filter((f) => !withPatch.includes(f)).length, patch).toBeGreaterThan(0);
    }
    expect(patchesIn('happy-path@local-intake.json')).toEqual(['local-intake']);
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
