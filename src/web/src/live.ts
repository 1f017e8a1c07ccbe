import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import type { LiveChange } from './types.ts';

// One EventSource per signed-in tab; pages subscribe to the changes they care about.
const subscribers = new Set<(c: LiveChange) => void>();

export function onLiveChange(fn: (c: LiveChange) => void): () => void {
  subscribers.add(fn);
  return () => {
    subscribers.delete(fn);
  };
}

/** Opens /api/events (the session cookie authenticates it) and marks the affected queries stale. */
export function useLiveEvents(enabled: boolean): void {
  const qc = useQueryClient();
  useEffect(() => {
    if (!enabled) return;
    const source = new EventSource('/api/events');
    const onChange = (e: MessageEvent<string>) => {
      let change: LiveChange;
      try {
        change = JSON.parse(e.data) as LiveChange;
      } catch {
        return;
      }
      for (const fn of subscribers) fn(change);
      void qc.invalidateQueries({ queryKey: ['queue'] });
      void qc.invalidateQueries({ queryKey: ['claim', change.claimId] });
      void qc.invalidateQueries({ queryKey: ['dashboard'] });
      if (change.taskId) void qc.invalidateQueries({ queryKey: ['task', change.taskId] });
    };
    source.addEventListener('change', onChange);
    return () => {
      source.removeEventListener('change', onChange);
      source.close();
    };
  }, [enabled, qc]);
}
