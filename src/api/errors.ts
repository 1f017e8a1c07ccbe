import type { FastifyError, FastifyInstance } from 'fastify';
import { ServiceError as TemporalServiceError, WorkflowUpdateRPCTimeoutOrCancelledError, isGrpcServiceError } from '@temporalio/client';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AuthError } from '../accounts/users.ts';
import { InvalidCursorError } from '../domain/cursor.ts';
import { PolicyRolloutError, TaskActionError } from '../domain/review.ts';
import { ExtractionInputError } from '../extraction/errors.ts';
import { WebhookTargetError } from '../publishing/webhook-target.ts';

export interface FieldError {
  field: string;
  message: string;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** A failure a handler means to report to the client; everything else becomes an opaque 500. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string>; [key: string]: unknown } = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

export const badRequest = (field: string, message: string) => new HttpProblem(400, `${field}: ${message}`, { errors: [{ field, message }] });
export const notFound = (what: string) => new HttpProblem(404, `${what} not found`);

/** A refused input: 400 naming the field, as request validation does. */
const fieldProblem = (field: string, message: string, detail = `${field}: ${message}`) => new HttpProblem(400, detail, { errors: [{ field, message }] });

/**
 * The one map from domain errors to HTTP. Routes let these propagate; null for anything else.
 * A workflow's refusal keeps its words, with the holder or the current state added when they explain it.
 */
export function domainProblem(err: unknown): HttpProblem | null {
  if (err instanceof TaskActionError) {
    const extra: Record<string, unknown> = {};
    if (err.holder) extra.holder = err.holder;
    if (err.currentState) extra.currentState = err.currentState;
    switch (err.code) {
      case 'forbidden':
        return new HttpProblem(403, err.message, extra);
      case 'conflict': {
        const detail = err.holder && !err.message.includes(err.holder) ? `${err.message} (held by ${err.holder})` : err.message;
        return new HttpProblem(409, detail, extra);
      }
      case 'invalid_state': {
        const detail = err.currentState && !err.message.includes(err.currentState) ? `${err.message} (current state: ${err.currentState})` : err.message;
        return new HttpProblem(409, detail, extra);
      }
      case 'not_found':
        return new HttpProblem(404, err.message, extra);
      case 'invalid':
        return new HttpProblem(400, err.message, { ...extra, errors: [{ field: '(body)', message: err.message }] });
      case 'stuck':
        return new HttpProblem(503, err.message, { ...extra, headers: { 'Retry-After': '60' } });
      case 'timeout':
        return new HttpProblem(503, err.message, { ...extra, headers: { 'Retry-After': '5' } });
    }
  }
  if (err instanceof PolicyRolloutError) return new HttpProblem(503, err.message, { headers: { 'Retry-After': '5' } });
  if (err instanceof AuthError) {
    if (err.code === 'user_exists') return new HttpProblem(409, err.message);
    if (err.field === null) return new HttpProblem(404, err.message);
    return fieldProblem(err.field, err.message, err.message);
  }
  if (err instanceof InvalidCursorError || err instanceof WebhookTargetError) return fieldProblem(err.field, err.message);
  if (err instanceof ExtractionInputError) {
    const field = err.field ?? '(body)';
    if (err.code === 'too_large') return new HttpProblem(413, `${field}: ${err.message}`);
    return fieldProblem(field, err.message);
  }
  return null;
}

export function problemBody(status: number, detail: string, extra: Record<string, unknown> = {}) {
  return { type: status >= 500 ? 'about:blank' : `https://claimdesk.dev/problems/${status}`, title: TITLES[status] ?? 'Error', status, detail, ...extra };
}

function fieldPath(instancePath: string | undefined, params: unknown): string {
  const fromPath = (instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
  if (fromPath) return fromPath;
  const missing = (params as { missingProperty?: string } | undefined)?.missingProperty;
  return missing ?? '(body)';
}

const PG_CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);

/** A dependency outage is a 503 the client may retry, not a 500: says which one, nothing more. */
function unavailable(err: unknown): 'the database' | 'the workflow service' | null {
  if (err instanceof TemporalServiceError || err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcServiceError(err)) return 'the workflow service';
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && PG_CONNECTION_CODES.has(code)) return 'the database';
  // pg's own words for a lost connection: no pooled connection in time, the socket ended, or a statement (a
  // transaction's next one, or its ROLLBACK) sent on a client whose connection already failed.
  if (err instanceof Error && /timeout exceeded when trying to connect|Connection terminated|connection error and is not queryable/i.test(err.message)) return 'the database';
  return null;
}

/** The one error handler: problem+json for everything, 5xx detail stays in the log. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((thrown: FastifyError | HttpProblem | Error, req, reply) => {
    void reply.type('application/problem+json');
    const err = domainProblem(thrown) ?? thrown;
    if (err instanceof HttpProblem) {
      const { headers, ...extra } = err.extra;
      if (headers) void reply.headers(headers);
      return reply.code(err.status).send(problemBody(err.status, err.detail, extra));
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const context = (err as { validationContext?: string }).validationContext ?? 'body';
      const errors = err.validation.map((v) => {
        const field = fieldPath(v.instancePath, v.params);
        return { field: context === 'body' ? field : `${context}.${field}`, message: v.message ?? 'invalid' };
      });
      const first = errors[0];
      return reply.code(400).send(problemBody(400, first ? `${first.field}: ${first.message}` : 'invalid request', { errors }));
    }
    if (isResponseSerializationError(err)) {
      req.log.error({ err, issues: err.cause.issues }, 'response did not match its schema');
      return reply.code(500).send(problemBody(500, 'internal error'));
    }
    const status = (err as FastifyError).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const code = (err as FastifyError).code;
      const detail =
        code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? 'request body is larger than 2 MB'
          : code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? 'unsupported content type: send application/json'
            : code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
              ? 'request body is empty'
              : err.message;
      const extra = status === 400 ? { errors: [{ field: '(body)', message: detail }] } : {};
      return reply.code(status).send(problemBody(status, detail, extra));
    }
    // Postgres refuses NUL characters in text; that is the client's input, not our failure.
    const pgCode = (err as { code?: unknown }).code;
    if (pgCode === '22P05' || pgCode === '22021') {
      const detail = 'text contains characters that cannot be stored (NUL)';
      return reply.code(400).send(problemBody(400, detail, { errors: [{ field: '(body)', message: detail }] }));
    }
    const down = unavailable(err);
    if (down) {
      req.log.warn({ err }, `${down} unavailable`);
      void reply.header('Retry-After', '5');
      return reply.code(503).send(problemBody(503, `${down} is unavailable; try again shortly`));
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send(problemBody(500, 'internal error'));
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).type('application/problem+json').send(problemBody(404, `no route for ${req.method} ${req.url.split('?')[0]}`));
  });
}
