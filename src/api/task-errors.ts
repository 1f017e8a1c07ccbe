import { TaskActionError } from '../services/claim-workflows.ts';
import { HttpProblem } from './errors.ts';

/** Maps a workflow's refusal onto HTTP: the workflow decides, the API only translates. */
export function toHttpProblem(err: unknown): unknown {
  if (!(err instanceof TaskActionError)) return err;
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
  }
}
