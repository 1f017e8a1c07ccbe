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

export const testLogger = pino(
  { level: 'error' },
  {
    write(line: string): void {
      let parsed: { level?: number; msg?: string } = {};
      try {
        parsed = JSON.parse(line) as typeof parsed;
      } catch {
        // A line pino wrote is JSON; keep the raw text if ever it is not.
      }
      unclaimed.push({ level: (parsed.level ?? 50) >= 60 ? 'fatal' : 'error', msg: parsed.msg ?? '', line: line.trim() });
    },
  },
);

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
