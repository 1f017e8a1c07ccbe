// Runs in every test file (vitest setupFiles): the error-log check after each test, and the file's own database
// dropped after the file's last hook.
import { afterAll, afterEach } from 'vitest';
import { takeUnexpectedErrorLogs } from './error-logs.ts';
import { dropFileDatabase } from './test-database.ts';

function failOnErrorLogs(when: string): void {
  const lines = takeUnexpectedErrorLogs();
  if (lines.length > 0) {
    throw new Error(`the service logged ${lines.length} unexpected error line(s) ${when} (declare provoked ones with expectErrorLog):\n${lines.join('\n')}`);
  }
}

afterEach(() => failOnErrorLogs('during this test'));

afterAll(async () => {
  await dropFileDatabase();
  failOnErrorLogs('after the last test (in an afterAll hook or a background task)');
});
