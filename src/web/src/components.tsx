import type { ReactNode } from 'react';
import { ApiError, errorText } from './api.ts';
import { label } from './format.ts';
import type { Check, Quantity } from './types.ts';

/** The problem+json detail of a failed request, in place. */
export function ErrorNote({ error, children }: { error: unknown; children?: ReactNode }) {
  if (!error) return null;
  const conflict = error instanceof ApiError && error.status === 409;
  return (
    <div className="error" role="alert">
      {conflict && error.holder ? `${error.holder} holds this task: ` : null}
      {errorText(error)}
      {children}
    </div>
  );
}

/** A field's own message from a 400's errors[], or nothing. */
export function FieldError({ error, field, id }: { error: unknown; field: string; id: string }) {
  const msg = error instanceof ApiError ? error.fieldMessage(field) : undefined;
  if (!msg) return null;
  return (
    <p className="field-error" id={id}>
      {msg}
    </p>
  );
}

/** Non-field errors only: a 400 that names a field shows it beside that field instead. */
export function FormError({ error, fields }: { error: unknown; fields: string[] }) {
  if (!error) return null;
  if (error instanceof ApiError && error.errors.some((e) => fields.some((f) => e.field === f || e.field.startsWith(`${f}.`)))) return null;
  return <ErrorNote error={error} />;
}

export function isQuantity(v: unknown): v is Quantity {
  return typeof v === 'object' && v !== null && typeof (v as Quantity).text === 'string';
}

export function isCheck(v: unknown): v is Check {
  return typeof v === 'object' && v !== null && typeof (v as Check).status === 'string' && typeof (v as Check).detail === 'string';
}

export function Checks({ checks, quantities }: { checks: unknown[]; quantities: unknown[] }) {
  const qs = quantities.filter(isQuantity);
  const cs = checks.filter(isCheck);
  return (
    <>
      {qs.length ? (
        <ul className="chips" aria-label="Quantities">
          {qs.map((q, i) => (
            <li key={i} className="chip">
              {q.text}
              {q.unit ? <span className="muted"> · {q.unit}</span> : null}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No quantities found.</p>
      )}
      {cs.length ? (
        <ul className="checks">
          {cs.map((c, i) => (
            <li key={i}>
              <span className={`badge check-${c.status}`}>{label(c.status)}</span> {c.detail}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No arithmetic to check.</p>
      )}
    </>
  );
}

/** Article text with claims marked; plain text nodes only, so markup in the article shows as characters. */
export function Highlighted({ body, marks }: { body: string; marks: { start: number; end: number; current: boolean }[] }) {
  const sorted = [...marks].filter((m) => m.start >= 0 && m.end > m.start && m.end <= body.length).sort((a, b) => a.start - b.start);
  const parts: ReactNode[] = [];
  let at = 0;
  sorted.forEach((m, i) => {
    if (m.start < at) return;
    if (m.start > at) parts.push(body.slice(at, m.start));
    parts.push(
      m.current ? (
        <mark key={i} className="claim-current" id={marks.filter((x) => x.current).length === 1 ? 'current-claim' : undefined}>
          {body.slice(m.start, m.end)}
        </mark>
      ) : (
        <mark key={i} className="claim-other">
          {body.slice(m.start, m.end)}
        </mark>
      ),
    );
    at = m.end;
  });
  if (at < body.length) parts.push(body.slice(at));
  return <div className="article-body">{parts}</div>;
}
