import { pino } from 'pino';

// The service's logger in tests: nothing is printed, but every error (and fatal) line is kept, and the setup file
// fails the test that produced one unless the test said it expects it. An error the service logs is a bug until a
// test says otherwise.

interface ErrorLine {
  level: 'error' | 'fatal';
  msg: string;
  line: string;
}

const unclaimed: ErrorLine[] = [];
let expected: RegExp[] = [];

function record(line: string, parsed: { level?: number; msg?: string }): void {
  unclaimed.push({ level: (parsed.level ?? 50) >= 60 ? 'fatal' : 'error', msg: parsed.msg ?? '', line: line.trim() });
}

function parse(line: string): { level?: number; msg?: string } | null {
  try {
    const parsed = JSON.parse(line) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as { level?: number; msg?: string }) : null;
  } catch {
    return null;
  }
}

export const testLogger = pino(
  { level: 'error' },
  {
    write(line: string): void {
      // A line pino wrote is JSON; keep the raw text if ever it is not.
      record(line, parse(line) ?? {});
    },
  },
);

/**
 * For a service process a test spawns: feed it the process's stdout, and the pino lines at error level or above
 * count as if the test's own logger had written them.
 */
export function errorLogSink(): (chunk: Buffer | string) => void {
  let pending = '';
  return (chunk) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const parsed = parse(line);
      if (parsed && typeof parsed.level === 'number' && parsed.level >= 50) record(line, parsed);
    }
  };
}

/**
 * Declares that the running test provokes an error log matching `pattern` (tested against the message and the whole
 * JSON line, so an error's message or type can be matched too). Lines that match are not a failure.
 */
export function expectErrorLog(pattern: RegExp): void {
  expected.push(pattern);
}

const matches = (l: ErrorLine, p: RegExp): boolean => p.test(l.msg) || p.test(l.line);

/**
 * Called after each test: returns the error lines logged since the previous check that no expectation covers, and
 * forgets them and the expectations.
 */
export function takeUnexpectedErrorLogs(): string[] {
  const lines = unclaimed.splice(0);
  const patterns = expected;
  expected = [];
  return lines.filter((l) => !patterns.some((p) => matches(l, p))).map((l) => `${l.level}: ${l.msg} ${l.line.length > 600 ? `${l.line.slice(0, 600)}…` : l.line}`);
}
