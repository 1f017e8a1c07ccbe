import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvidenceActivities } from '../../activities/evidence.ts';
import type { ActivitySettings } from '../../activities/deps.ts';
import { TEST_ACTIVITY_SETTINGS } from '../support/activity-settings.ts';
import { DEFAULT_REVIEW_POLICY } from '../../src/domain/review.ts';
import { createFactCheckProvider, FactCheckError, mapTextualRating, type FactCheckSettings } from '../../src/evidence/index.ts';
import { openTestEnv, startTestWorker, testLogger, uniqueTaskQueue, type TestEnv } from '../support/env.ts';

// A stand-in for factchecktools.googleapis.com on loopback. The API key picks the behaviour, so one server
// serves every test; responses have the real API's shape (claims[].claimReview[], nextPageToken, error bodies).

interface Seen {
  key: string | null;
  query: string | null;
  languageCode: string | null;
  pageSize: string | null;
  pageToken: string | null;
  maxAgeDays: string | null;
}

const requests: Seen[] = [];
const hits = new Map<string, number>();
let server: Server;
let baseUrl: string;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}

function googleError(res: ServerResponse, code: number, status: string, message: string, reason?: string): void {
  json(res, code, {
    error: {
      code,
      message,
      status,
      ...(reason ? { details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'googleapis.com', metadata: { service: 'factchecktools.googleapis.com' } }] } : {}),
    },
  });
}

const PAGE_1 = {
  claims: [
    {
      text: 'Border agents recorded 2.4 million encounters at the southern border in fiscal 2023',
      claimant: 'Senator Example',
      claimDate: '2023-11-02T00:00:00Z',
      claimReview: [
        {
          publisher: { name: 'PolitiFact', site: 'politifact.com' },
          url: 'https://www.politifact.com/factchecks/2023/nov/05/example/border-encounters/',
          title: 'Yes, border encounters hit a record in fiscal 2023',
          reviewDate: '2023-11-05T00:00:00Z',
          textualRating: 'Mostly True',
          languageCode: 'en',
        },
        {
          publisher: { name: 'Example Checks', site: 'checks.example' },
          url: 'https://checks.example/border-2023',
          title: 'Border numbers in context',
          reviewDate: '2023-11-06T00:00:00Z',
          textualRating: 'Needs context: encounters count events, not people',
          languageCode: 'en',
        },
      ],
    },
  ],
  nextPageToken: 'page-2',
};
const PAGE_2 = {
  claims: [
    {
      text: 'There were 10 million illegal crossings at the border last year',
      claimReview: [
        {
          publisher: { name: 'Les Vérificateurs', site: 'verif.example' },
          url: 'https://verif.example/frontiere',
          title: 'Non, pas 10 millions',
          reviewDate: '2024-01-10T00:00:00Z',
          textualRating: 'Faux',
          languageCode: 'fr',
        },
        {
          publisher: { site: 'ratings.example' },
          url: 'https://ratings.example/odd',
          title: 'An unusual rating',
          textualRating: 'Three Pinocchios and a half',
        },
      ],
    },
  ],
};

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const key = url.searchParams.get('key');
  const seen: Seen = {
    key,
    query: url.searchParams.get('query'),
    languageCode: url.searchParams.get('languageCode'),
    pageSize: url.searchParams.get('pageSize'),
    pageToken: url.searchParams.get('pageToken'),
    maxAgeDays: url.searchParams.get('maxAgeDays'),
  };
  requests.push(seen);
  const n = (hits.get(key ?? '') ?? 0) + 1;
  hits.set(key ?? '', n);
  if (url.pathname !== '/v1alpha1/claims:search') return googleError(res, 404, 'NOT_FOUND', 'no such method');
  const scenario = (key ?? '').split(':')[0];
  switch (scenario) {
    case 'good':
      return json(res, 200, seen.pageToken === 'page-2' ? PAGE_2 : PAGE_1);
    case 'empty':
      return json(res, 200, {});
    case 'ratelimited':
      return googleError(res, 429, 'RESOURCE_EXHAUSTED', "Quota exceeded for quota metric 'Queries' of service 'factchecktools.googleapis.com'", 'RATE_LIMIT_EXCEEDED');
    case 'broken':
      return googleError(res, 503, 'UNAVAILABLE', 'The service is currently unavailable.');
    case 'slow':
      // Never answers in time; the socket is closed when the server stops.
      return;
    case 'badkey':
      return googleError(res, 400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', 'API_KEY_INVALID');
    case 'forbidden':
      return googleError(res, 403, 'PERMISSION_DENIED', 'Fact Check Tools API has not been used in project 123 before or it is disabled.', 'SERVICE_DISABLED');
    case 'garbage':
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.end('<html>captive portal</html>');
    case 'flaky':
      // A 503, then a 429, then the real answer: what Temporal's retries are for.
      if (n === 1) return googleError(res, 503, 'UNAVAILABLE', 'The service is currently unavailable.');
      if (n === 2) return googleError(res, 429, 'RESOURCE_EXHAUSTED', 'Quota exceeded', 'RATE_LIMIT_EXCEEDED');
      return json(res, 200, seen.pageToken === 'page-2' ? PAGE_2 : PAGE_1);
    default:
      return googleError(res, 400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', 'API_KEY_INVALID');
  }
}

let keyCounter = 0;
const freshKey = (scenario: string) => `${scenario}:${process.pid}-${++keyCounter}`;
const settingsFor = (scenario: string, timeoutMs = 2000): FactCheckSettings => ({ apiKey: freshKey(scenario), url: `${baseUrl}/v1alpha1/claims:search`, timeoutMs });
const requestsFor = (key: string | null) => requests.filter((r) => r.key === key);
const claimQuery = { text: 'Border agents recorded more than 2.4 million encounters at the southern border in the 2023 fiscal year.', quantities: [], claimDate: null };

let env: TestEnv;

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  env = await openTestEnv();
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await env?.close();
});

describe('textualRating mapping', () => {
  it.each([
    ['False', 'false'],
    ['Pants on Fire!', 'false'],
    ['Mostly True', 'mostly_true'],
    ['Half-True', 'half_true'],
    ['Mixture', 'half_true'],
    ['Missing context', 'misleading'],
    ['Needs context: encounters count events, not people', 'misleading'],
    ['Unproven', 'unverifiable'],
    ['Faux', 'false'],
    ['Falso', 'false'],
    ['TRUE', 'true'],
    ['Three Pinocchios and a half', null],
    ['', null],
  ])('%s → %s', (text, expected) => {
    expect(mapTextualRating(text)).toBe(expected);
  });
});

describe('fact-check provider against a loopback server', () => {
  it('sends the claim as a query with language and page size, follows nextPageToken, keeps ratings verbatim and maps them', async () => {
    const settings = settingsFor('good');
    const results = await createFactCheckProvider(settings, { maxAgeDays: 365 }).search(claimQuery);
    const seen = requestsFor(settings.apiKey);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({ languageCode: 'en', pageSize: '10', pageToken: null, maxAgeDays: '365' });
    expect(seen[0]?.query).toMatch(/encounters/);
    expect(seen[0]?.query).toMatch(/2023/);
    expect(seen[1]?.pageToken).toBe('page-2');

    expect(results).toHaveLength(4);
    const politifact = results.find((r) => r.url?.includes('politifact'));
    expect(politifact).toMatchObject({
      provider: 'factcheck:PolitiFact',
      stance: 'context',
      title: 'Yes, border encounters hit a record in fiscal 2023',
      quote: 'Border agents recorded 2.4 million encounters at the southern border in fiscal 2023',
    });
    expect(politifact?.details).toMatchObject({ textualRating: 'Mostly True', mappedRating: 'mostly_true', reviewDate: '2023-11-05T00:00:00Z' });
    expect(politifact?.reason).toMatch(/rated “Mostly True” by PolitiFact/);
    expect(results.find((r) => r.url === 'https://verif.example/frontiere')?.details).toMatchObject({ textualRating: 'Faux', mappedRating: 'false' });
    const odd = results.find((r) => r.url === 'https://ratings.example/odd');
    expect(odd?.provider).toBe('factcheck:ratings.example');
    expect(odd?.details).toMatchObject({ textualRating: 'Three Pinocchios and a half', mappedRating: null });
    // The closer reviewed claim ranks first.
    expect(results[0]?.score).toBeGreaterThan(results[results.length - 1]?.score ?? 1);
  });

  it('returns nothing and makes no request without an API key', async () => {
    const before = requests.length;
    const results = await createFactCheckProvider({ apiKey: null, url: `${baseUrl}/v1alpha1/claims:search`, timeoutMs: 1000 }).search(claimQuery);
    expect(results).toEqual([]);
    expect(requests.length).toBe(before);
  });

  it('handles a response with no claims', async () => {
    await expect(createFactCheckProvider(settingsFor('empty')).search(claimQuery)).resolves.toEqual([]);
  });

  it.each([
    ['ratelimited', 'rate_limited', 429],
    ['broken', 'unavailable', 503],
    ['garbage', 'bad_response', 200],
  ])('%s: a retryable FactCheckError (%s)', async (scenario, code, status) => {
    const err = await createFactCheckProvider(settingsFor(scenario)).search(claimQuery).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FactCheckError);
    expect(err).toMatchObject({ code, status, retryable: true });
  });

  it('times out a server that never answers', async () => {
    const err = await createFactCheckProvider(settingsFor('slow', 300)).search(claimQuery).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'timeout', retryable: true });
    expect((err as Error).message).toMatch(/timed out after 300 ms/);
  });

  it.each([
    ['badkey', 400],
    ['forbidden', 403],
  ])('%s: an auth error that is not retryable and never leaks the key', async (scenario, status) => {
    const settings = settingsFor(scenario);
    const err = await createFactCheckProvider(settings).search(claimQuery).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'auth', status, retryable: false, name: 'FactCheckAuthError' });
    expect((err as Error).message).toMatch(/API key rejected/);
    expect((err as Error).message).not.toContain(settings.apiKey);
  });
});

describe('searchFactChecks activity', () => {
  async function newClaim(text = claimQuery.text): Promise<string> {
    const row = await env.db.insertInto('claims').values({ text, status: 'researching', fingerprint: `${text} ${Math.random()}` }).returning('id').executeTakeFirstOrThrow();
    return row.id;
  }
  const activitiesWith = (factCheck: ActivitySettings['factCheck']) => createEvidenceActivities({ db: env.db, log: testLogger, settings: { ...TEST_ACTIVITY_SETTINGS, factCheck } });

  it('is skipped, with no network, when no API key is configured', async () => {
    const before = requests.length;
    const claimId = await newClaim();
    await expect(activitiesWith({ apiKey: null, url: `${baseUrl}/v1alpha1/claims:search`, timeoutMs: 1000 }).searchFactChecks({ claimId })).resolves.toEqual({ found: 0, skipped: 'no_api_key' });
    expect(requests.length).toBe(before);
  });

  it('writes factcheck:<publisher> rows with the verbatim and mapped rating, once however often it runs', async () => {
    const claimId = await newClaim();
    const activities = activitiesWith(settingsFor('good'));
    await expect(activities.searchFactChecks({ claimId })).resolves.toEqual({ found: 4 });
    await expect(activities.searchFactChecks({ claimId })).resolves.toEqual({ found: 4 });
    const rows = await env.db.selectFrom('claim_evidence').selectAll().where('claim_id', '=', claimId).execute();
    expect(rows).toHaveLength(4);
    expect(rows.map((r) => r.found_by).sort()).toEqual(['factcheck:Example Checks', 'factcheck:Les Vérificateurs', 'factcheck:PolitiFact', 'factcheck:ratings.example']);
    expect(rows.find((r) => r.found_by === 'factcheck:Example Checks')?.details).toMatchObject({
      textualRating: 'Needs context: encounters count events, not people',
      mappedRating: 'misleading',
    });
  });

  it('classifies failures for Temporal: a bad key is non-retryable FactCheckAuthError, transient ones are plain errors', async () => {
    const claimId = await newClaim();
    // Failing is the point here: keep the mock's activity-failure log lines out of the test output.
    const mock = new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR', () => undefined) });
    for (const scenario of ['badkey', 'forbidden']) {
      const err = await mock.run(activitiesWith(settingsFor(scenario)).searchFactChecks, { claimId }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: 'FactCheckAuthError', nonRetryable: true });
    }
    for (const scenario of ['ratelimited', 'broken', 'slow']) {
      const err = await mock.run(activitiesWith(settingsFor(scenario, 300)).searchFactChecks, { claimId }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(ApplicationFailure);
    }
  });
});

describe('fact-check lookups inside the claim workflow (real worker and Temporal server)', () => {
  async function runClaimWorkflow(factCheck: FactCheckSettings, text: string) {
    const taskQueue = uniqueTaskQueue('evidence-factcheck');
    const worker = await startTestWorker(env, taskQueue, { settings: { ...TEST_ACTIVITY_SETTINGS, factCheck } });
    const claim = await env.db.insertInto('claims').values({ text, status: 'researching', fingerprint: `${text} ${Math.random()}` }).returning('id').executeTakeFirstOrThrow();
    const workflowId = `evidence-factcheck-${claim.id}-${Date.now()}`;
    const handle = await env.client.workflow.start('claimVerificationWorkflow', {
      taskQueue,
      workflowId,
      args: [{ claimId: claim.id, policy: DEFAULT_REVIEW_POLICY, mode: 'initial' }],
    });
    return { claimId: claim.id, handle, stop: async () => {
      await handle.terminate('test finished').catch(() => undefined);
      await worker.stop();
    } };
  }

  async function waitFor<T>(what: string, check: () => Promise<T | null | undefined | false>): Promise<T> {
    const deadline = Date.now() + 45_000;
    for (;;) {
      const v = await check();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('retries a 503 and a 429 with backoff, then records the results', async () => {
    const settings = settingsFor('flaky');
    const run = await runClaimWorkflow(settings, 'Border agents recorded more than 2.4 million encounters in the 2023 fiscal year, officials said.');
    try {
      const rows = await waitFor('fact-check evidence', async () => {
        const r = await env.db.selectFrom('claim_evidence').select(['found_by']).where('claim_id', '=', run.claimId).where('found_by', 'like', 'factcheck:%').execute();
        return r.length === 4 ? r : null;
      });
      expect(rows).toHaveLength(4);
      // Two failed attempts, then one successful attempt that read two pages.
      expect(requestsFor(settings.apiKey)).toHaveLength(4);
      const events = await env.db.selectFrom('claim_events').select('type').where('claim_id', '=', run.claimId).execute();
      expect(events.map((e) => e.type)).not.toContain('evidence_provider_failed');
    } finally {
      await run.stop();
    }
  });

  it('does not retry a bad key, and records the failure for the user to see', async () => {
    const settings = settingsFor('badkey');
    const run = await runClaimWorkflow(settings, 'Unemployment in the fictional town of Fixtureville rose to 9% in 2023.');
    try {
      const failed = await waitFor('evidence_provider_failed event', async () =>
        env.db.selectFrom('claim_events').select(['type', 'payload']).where('claim_id', '=', run.claimId).where('type', '=', 'evidence_provider_failed').executeTakeFirst(),
      );
      expect(failed.payload).toMatchObject({ step: 'searchFactChecks' });
      expect(String(failed.payload.message)).toMatch(/API key rejected/);
      expect(requestsFor(settings.apiKey)).toHaveLength(1);
    } finally {
      await run.stop();
    }
  });
});
