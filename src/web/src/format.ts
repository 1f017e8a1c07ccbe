// Durations in plain hours and days (UI.md): "3 h 20 min", "2 d 4 h".

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(Math.abs(seconds)));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

export function since(iso: string, now = Date.now()): string {
  return duration((now - Date.parse(iso)) / 1000);
}

export function dateTime(iso: string): string {
  return new Date(iso).toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

export function dateTimeSeconds(iso: string): string {
  return new Date(iso).toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function time(iso: string): string {
  return new Date(iso).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
}

/** "due in 3 h" / "overdue by 20 min", and whether it is overdue. */
export function sla(dueAt: string | null, now = Date.now()): { text: string; overdue: boolean } {
  if (!dueAt) return { text: 'no deadline', overdue: false };
  const left = (Date.parse(dueAt) - now) / 1000;
  return left >= 0 ? { text: `due in ${duration(left)}`, overdue: false } : { text: `overdue by ${duration(-left)}`, overdue: true };
}

export function label(value: string): string {
  const s = value.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = (sorted.length - 1) * p;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  const a = sorted[lo] ?? 0;
  const b = sorted[hi] ?? a;
  return a + (b - a) * (i - lo);
}
