// The one way pages talk to the API: same-origin cookie session, problem+json errors, an Idempotency-Key
// on every state-changing request so a retried click never does the thing twice.

export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly detail: string;
  readonly errors: FieldError[];
  readonly holder: string | null;

  constructor(status: number, detail: string, errors: FieldError[] = [], holder: string | null = null) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
    this.errors = errors;
    this.holder = holder;
  }

  /** The message for one form field, when the API named it (`citations.0.stance` matches `citations`). */
  fieldMessage(field: string): string | undefined {
    return this.errors.find((e) => e.field === field || e.field.startsWith(`${field}.`))?.message;
  }
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

// While a sign-out is under way the pages still on screen must not call the API: a refetch started by a live event
// would reach the server just after the session ended and fail with a 401 halfway through signing out.
let signingOut = false;

export function setSigningOut(value: boolean): void {
  signingOut = value;
}

export async function api<T>(path: string, opts: { method?: Method; body?: unknown; signal?: AbortSignal; idempotencyKey?: string } = {}): Promise<T> {
  const method = opts.method ?? 'GET';
  // An abort, not a 401: a 401 would drop the session at once and show sign-in before the server has ended it.
  if (signingOut && path !== '/api/session') throw new DOMException('signing out', 'AbortError');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['idempotency-key'] = opts.idempotencyKey ?? crypto.randomUUID();
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'The service could not be reached. Check your connection and try again.');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const p = (data ?? {}) as { detail?: unknown; title?: unknown; errors?: unknown; holder?: unknown };
    const detail = typeof p.detail === 'string' && p.detail ? p.detail : typeof p.title === 'string' ? p.title : `Request failed (${res.status})`;
    const errors = Array.isArray(p.errors) ? (p.errors as FieldError[]).filter((e) => typeof e?.field === 'string') : [];
    throw new ApiError(res.status, detail, errors, typeof p.holder === 'string' ? p.holder : null);
  }
  return data as T;
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.detail;
  if (err instanceof Error) return err.message;
  return String(err);
}
