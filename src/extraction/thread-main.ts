// Runs inside an extraction worker thread: answers each { id, text, options } with the claims, or the error.
import { parentPort } from 'node:worker_threads';
import { extractClaims, ExtractionInputError } from './index.ts';
import type { ExtractionRequest, ExtractionResponse } from './pool.ts';

const port = parentPort;
if (!port) throw new Error('thread-main.ts runs only as a worker thread');

port.on('message', (req: ExtractionRequest) => {
  let res: ExtractionResponse;
  try {
    res = { id: req.id, ok: true, claims: extractClaims(req.text, req.options) };
  } catch (err) {
    res =
      err instanceof ExtractionInputError
        ? { id: req.id, ok: false, error: { kind: 'input', code: err.code, message: err.message } }
        : { id: req.id, ok: false, error: { kind: 'other', code: null, message: err instanceof Error ? err.message : String(err) } };
  }
  port.postMessage(res);
});
// The extractor's modules (and its language model) are loaded: deadlines count from here, not from thread start.
port.postMessage({ ready: true });
