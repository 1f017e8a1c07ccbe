import { describe, expect, it } from 'vitest';
import { isPermanentPgError } from '../../activities/review.ts';
import { domainProblem } from '../../src/api/errors.ts';
import { TaskActionError } from '../../src/domain/review.ts';

const pgError = (code: string): Error => Object.assign(new Error(`pg ${code}`), { code });

describe('which Postgres errors a write never recovers from', () => {
  it('counts data exceptions (22) and constraint violations (23) as permanent', () => {
    for (const code of ['22001', '22P02', '22003', '23502', '23503', '23505', '23514']) expect(isPermanentPgError(pgError(code)), code).toBe(true);
  });

  it('keeps connection loss, serialization failures, lock timeouts and plain errors retryable', () => {
    for (const code of ['08006', '40001', '40P01', '55P03', '57P01', 'ECONNREFUSED', '2', '220011']) expect(isPermanentPgError(pgError(code)), code).toBe(false);
    expect(isPermanentPgError(new Error('boom'))).toBe(false);
    expect(isPermanentPgError({ code: '23505' })).toBe(false);
    expect(isPermanentPgError(null)).toBe(false);
  });
});

describe('the error map for Updates that cannot answer now', () => {
  it('answers a stuck claim and an Update past its deadline with 503 and Retry-After', () => {
    const stuck = domainProblem(new TaskActionError('stuck', 'claim 7 is stuck'));
    expect(stuck).toMatchObject({ status: 503, detail: 'claim 7 is stuck', extra: { headers: { 'Retry-After': '60' } } });
    const late = domainProblem(new TaskActionError('timeout', 'claim 7 did not answer within 15 s'));
    expect(late).toMatchObject({ status: 503, extra: { headers: { 'Retry-After': '5' } } });
  });
});
