import { useMutation, useMutationState, useQueryClient, type QueryKey } from '@tanstack/react-query';
import { api } from './api.ts';
import type { Page, QueueItem, Task } from './types.ts';

type Action = 'claim' | 'release';

/**
 * Claim or release one task, optimistically: every cached queue page shows the new holder at once, and goes
 * back to what it was if the API refuses (409: someone else holds it). Each row owns its own mutation, so a
 * slow claim never blocks the next one.
 */
export function useTaskAction(me: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationKey: ['task-action'],
    mutationFn: ({ task, action }: { task: Task; action: Action }) => api<{ task: Task }>(`/api/tasks/${task.id}/${action}`, { method: 'POST' }),
    onMutate: async ({ task, action }) => {
      await qc.cancelQueries({ queryKey: ['queue'] });
      const snapshot = qc.getQueriesData<Page<QueueItem>>({ queryKey: ['queue'] });
      const patch = (t: Task): Task => (action === 'claim' ? { ...t, status: 'claimed', assignee: me } : { ...t, status: 'open', assignee: null });
      qc.setQueriesData<Page<QueueItem>>({ queryKey: ['queue'] }, (old) =>
        old ? { ...old, items: old.items.map((it) => (it.task.id === task.id ? { ...it, task: patch(it.task) } : it)) } : old,
      );
      return { snapshot };
    },
    onError: (_err, _vars, context) => {
      for (const [key, data] of context?.snapshot ?? []) qc.setQueryData(key as QueryKey, data);
    },
    onSettled: async (_data, _err, { task }) => {
      await Promise.all([
        qc.invalidateQueries({ queryKey: ['queue'] }),
        qc.invalidateQueries({ queryKey: ['task', task.id] }),
        qc.invalidateQueries({ queryKey: ['claim', task.claimId] }),
      ]);
    },
  });
}

/** Ids of tasks with a claim or release still in flight: each row shows its own pending state. */
export function usePendingTaskIds(): Set<string> {
  const vars = useMutationState({ filters: { mutationKey: ['task-action'], status: 'pending' }, select: (m) => m.state.variables as { task: Task } | undefined });
  return new Set(vars.flatMap((v) => (v ? [v.task.id] : [])));
}
