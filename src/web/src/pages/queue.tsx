import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { ApiError, api, errorText } from '../api.ts';
import { label, sla, since } from '../format.ts';
import { useShortcuts } from '../keys.ts';
import { onLiveChange } from '../live.ts';
import { useSession } from '../session.ts';
import { usePendingTaskIds, useTaskAction } from '../task-actions.ts';
import { PRIORITIES, type Page, type Priority, type QueueItem, type Task, type TaskKind } from '../types.ts';

const FILTERS = [
  { id: 'mine', label: 'Mine' },
  { id: 'unassigned', label: 'Unassigned' },
  { id: 'open', label: 'All open' },
  { id: 'overdue', label: 'Overdue' },
] as const;
type Filter = (typeof FILTERS)[number]['id'];
const PAGE_SIZE = 50;

function isFilter(v: string | null): v is Filter {
  return FILTERS.some((f) => f.id === v);
}

/** The server filters too (docs/web-contract.md); this keeps the page right while an older API ignores the filter. */
function matches(item: QueueItem, filter: Filter, priority: Priority | '', me: string, now: number): boolean {
  if (priority && item.task.priority !== priority) return false;
  if (filter === 'mine') return item.task.assignee === me;
  if (filter === 'unassigned') return item.task.status === 'open' && !item.task.assignee;
  if (filter === 'overdue') return item.task.dueAt !== null && Date.parse(item.task.dueAt) < now;
  return true;
}

interface Taken {
  item: QueueItem;
  by: string;
  index: number;
}

export function QueuePage({ kind }: { kind: TaskKind }) {
  const [params, setParams] = useSearchParams();
  const filterParam = params.get('filter');
  const filter: Filter = isFilter(filterParam) ? filterParam : 'open';
  const priorityParam = params.get('priority') ?? '';
  const priority = (PRIORITIES as readonly string[]).includes(priorityParam) ? (priorityParam as Priority) : '';
  const title = kind === 'review' ? 'Review queue' : 'Approval queue';

  const setParam = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next);
  };

  return (
    <main className="page" id="main">
      <div className="page-head">
        <h1>{title}</h1>
        <div className="filters">
          <nav className="tabs" aria-label="Filter tasks">
            {FILTERS.map((f) => (
              <Link key={f.id} to={`?${new URLSearchParams({ ...Object.fromEntries(params), filter: f.id }).toString()}`} aria-current={filter === f.id ? 'page' : undefined} className="tab">
                {f.label}
              </Link>
            ))}
          </nav>
          <label className="inline">
            Priority
            <select value={priority} onChange={(e) => setParam('priority', e.target.value)}>
              <option value="">Any</option>
              {PRIORITIES.map((p) => (
                <option key={p} value={p}>
                  {label(p)}
                </option>
              ))}
            </select>
          </label>
        </div>
      </div>
      <QueueTable key={`${kind}:${filter}:${priority}`} kind={kind} filter={filter} priority={priority} />
    </main>
  );
}

function QueueTable({ kind, filter, priority }: { kind: TaskKind; filter: Filter; priority: Priority | '' }) {
  const me = useSession().data?.user.name ?? '';
  const navigate = useNavigate();
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const [selected, setSelected] = useState<string | null>(null);
  const [search, setSearch] = useState('');
  const [taken, setTaken] = useState<Record<string, Taken>>({});
  const [now, setNow] = useState(() => Date.now());
  const searchRef = useRef<HTMLInputElement>(null);
  const rowRefs = useRef(new Map<string, HTMLTableRowElement>());

  const query = useQuery({
    queryKey: ['queue', kind, filter, priority, cursor],
    queryFn: ({ signal }) => {
      const qs = new URLSearchParams({ kind, filter, limit: String(PAGE_SIZE) });
      if (priority) qs.set('priority', priority);
      if (cursor) qs.set('cursor', cursor);
      return api<Page<QueueItem>>(`/api/queue?${qs.toString()}`, { signal });
    },
    // Live refetches swap the rows in place; the old page stays on screen meanwhile, so nothing jumps.
    placeholderData: keepPreviousData,
  });

  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), 30_000);
    return () => window.clearInterval(t);
  }, []);

  const items = useMemo(() => {
    const base = (query.data?.items ?? []).filter((it) => matches(it, filter, priority, me, now));
    // A row someone else just took stays where it was, marked, instead of vanishing under the reader.
    const merged = [...base];
    for (const t of Object.values(taken).sort((a, b) => a.index - b.index)) {
      const at = merged.findIndex((it) => it.task.id === t.item.task.id);
      const row = { ...t.item, task: { ...t.item.task, status: 'claimed' as const, assignee: t.by } };
      if (at >= 0) merged[at] = row;
      else merged.splice(Math.min(t.index, merged.length), 0, row);
    }
    const q = search.trim().toLowerCase();
    return q ? merged.filter((it) => it.claim.text.toLowerCase().includes(q)) : merged;
  }, [query.data, filter, priority, me, now, taken, search]);

  const itemsRef = useRef(items);
  useEffect(() => {
    itemsRef.current = items;
  });

  useEffect(
    () =>
      onLiveChange((change) => {
        if (change.type !== 'task_claimed' || !change.taskId) return;
        const index = itemsRef.current.findIndex((it) => it.task.id === change.taskId);
        const item = itemsRef.current[index];
        if (!item) return;
        api<{ task: Task }>(`/api/tasks/${change.taskId}`)
          .then(({ task }) => {
            if (task.assignee && task.assignee !== me) setTaken((prev) => ({ ...prev, [task.id]: { item, by: task.assignee ?? '', index } }));
          })
          .catch(() => undefined);
      }),
    [me],
  );

  // Also from the data itself: a row that was open on the last load and now has another holder was just taken,
  // even when its live event arrived before this page subscribed.
  const previous = useRef<Map<string, QueueItem>>(new Map());
  useEffect(() => {
    const rows = query.data?.items;
    if (!rows) return;
    const before = previous.current;
    const fresh: Record<string, Taken> = {};
    rows.forEach((it, index) => {
      const was = before.get(it.task.id);
      if (was && was.task.status === 'open' && it.task.status === 'claimed' && it.task.assignee && it.task.assignee !== me) {
        fresh[it.task.id] = { item: was, by: it.task.assignee, index };
      }
    });
    previous.current = new Map(rows.map((it) => [it.task.id, it]));
    if (Object.keys(fresh).length) setTaken((prev) => ({ ...fresh, ...prev }));
  }, [query.data, me]);

  const selectedIndex = items.findIndex((it) => it.task.id === selected);
  const current = selectedIndex >= 0 ? items[selectedIndex] : undefined;

  useEffect(() => {
    if (selected) rowRefs.current.get(selected)?.scrollIntoView({ block: 'nearest' });
  }, [selected]);

  const action = useTaskAction(me);
  const pendingIds = usePendingTaskIds();
  const [rowErrors, setRowErrors] = useState<Record<string, string>>({});
  const run = (item: QueueItem, act: 'claim' | 'release') => {
    if (taken[item.task.id]) return;
    setRowErrors((e) => ({ ...e, [item.task.id]: '' }));
    action.mutate(
      { task: item.task, action: act },
      {
        onError: (err) => {
          const who = err instanceof ApiError && err.status === 409 && err.holder ? `${err.holder} holds this task. ` : '';
          setRowErrors((e) => ({ ...e, [item.task.id]: who || errorText(err) }));
        },
      },
    );
  };

  const move = (delta: number) => {
    if (items.length === 0) return;
    const next = selectedIndex < 0 ? (delta > 0 ? 0 : items.length - 1) : Math.max(0, Math.min(items.length - 1, selectedIndex + delta));
    setSelected(items[next]?.task.id ?? null);
  };
  const open = () => {
    if (current) void navigate(`/tasks/${current.task.id}`);
  };
  // After a lost race: the most urgent task nobody holds.
  const openNext = () => {
    const next = items.find((it) => it.task.status === 'open' && !it.task.assignee && !taken[it.task.id]);
    if (next) void navigate(`/tasks/${next.task.id}`);
  };

  useShortcuts({
    j: () => move(1),
    k: () => move(-1),
    Enter: open,
    o: open,
    c: () => {
      if (current && current.task.status === 'open') run(current, 'claim');
    },
    r: () => {
      if (current && current.task.assignee === me) run(current, 'release');
    },
    '/': () => searchRef.current?.focus(),
  });

  return (
    <>
      <div className="toolbar">
        <label className="inline search">
          <span className="sr-only">Search claims on this page</span>
          <input ref={searchRef} type="search" placeholder="Search this page ( / )" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        <span className="muted" aria-live="polite">
          {query.isFetching ? 'Updating…' : `${items.length} task${items.length === 1 ? '' : 's'} on this page`}
        </span>
      </div>
      {query.error ? (
        <p className="error" role="alert">
          {errorText(query.error)}
        </p>
      ) : null}
      <div className="table-wrap">
        <table className="dense queue" aria-label={kind === 'review' ? 'Review tasks, most urgent first' : 'Approval tasks, most urgent first'}>
          <thead>
            <tr>
              <th scope="col">Claim</th>
              <th scope="col">Priority</th>
              <th scope="col">SLA</th>
              <th scope="col">Age</th>
              <th scope="col">Round</th>
              <th scope="col">Assignee</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((it) => {
              const t = it.task;
              const s = sla(t.dueAt, now);
              const takenBy = taken[t.id]?.by;
              const mine = t.assignee === me;
              const pending = pendingIds.has(t.id);
              return (
                <tr
                  key={t.id}
                  ref={(el) => {
                    if (el) rowRefs.current.set(t.id, el);
                    else rowRefs.current.delete(t.id);
                  }}
                  className={[t.id === selected ? 'selected' : '', s.overdue ? 'overdue' : '', takenBy ? 'taken' : ''].join(' ')}
                  aria-current={t.id === selected ? 'true' : undefined}
                  data-task-id={t.id}
                  onClick={() => setSelected(t.id)}
                >
                  <td className="claim-cell">
                    <Link to={`/tasks/${t.id}`} className="clamp2">
                      {it.claim.text}
                    </Link>
                    {t.comment && kind === 'review' ? <div className="note">Sent back: {t.comment}</div> : null}
                    {kind === 'approval' && t.reviewer ? <div className="muted small-text">Proposed by {t.reviewer}</div> : null}
                  </td>
                  <td>
                    <span className={`prio prio-${t.priority}`}>{label(t.priority)}</span>
                  </td>
                  <td className={s.overdue ? 'late' : ''}>
                    {s.overdue ? <span aria-hidden="true">⚠ </span> : null}
                    {s.text}
                  </td>
                  <td>{since(t.createdAt, now)}</td>
                  <td>{t.round}</td>
                  <td>{takenBy ? <strong className="late">{takenBy} took this just now</strong> : mine ? 'Me' : (t.assignee ?? '—')}</td>
                  <td className="actions">
                    {takenBy ? (
                      <span className="muted">Taken</span>
                    ) : mine ? (
                      <button type="button" className="small" onClick={() => run(it, 'release')} disabled={pending}>
                        Release<span className="sr-only"> task {t.id}</span>
                      </button>
                    ) : (
                      <button type="button" className="small" onClick={() => run(it, 'claim')} disabled={pending || t.status !== 'open'}>
                        {pending ? 'Claiming…' : 'Claim'}
                        <span className="sr-only"> task {t.id}</span>
                      </button>
                    )}
                    {rowErrors[t.id] ? (
                      <div className="error" role="alert">
                        {rowErrors[t.id]}{' '}
                        <button type="button" className="link" onClick={openNext}>
                          Open next task
                        </button>
                      </div>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {!query.isPending && items.length === 0 ? <p className="empty">Nothing here. {filter === 'mine' ? 'Claim a task from “All open”.' : 'New tasks appear as soon as they arrive.'}</p> : null}
      </div>
      <nav className="pager" aria-label="Pages">
        <button type="button" onClick={() => setCursors((c) => c.slice(0, -1))} disabled={cursors.length <= 1}>
          Previous page
        </button>
        <span className="muted">Page {cursors.length}</span>
        <button type="button" onClick={() => setCursors((c) => [...c, query.data?.nextCursor ?? null])} disabled={!query.data?.nextCursor}>
          Next page
        </button>
      </nav>
    </>
  );
}
