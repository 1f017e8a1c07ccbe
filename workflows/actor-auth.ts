// The claim workflow's check that an Update's actor was signed by the claimdesk API (src/domain/actor-signature.ts).
// The keys reach the sandbox without passing through workflow input or history (which anyone with access to Temporal
// can read): the worker writes them into its copy of the workflow bundle at start, in place of the placeholder below
// (src/worker/index.ts, injectActorKeys). A bundle that was not given keys refuses every task action.
import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import { SIGNATURE_PROBLEM_MESSAGES, verifyActorUpdate } from '../src/domain/actor-signature.ts';

// Replaced by comma-separated hex keys in the worker's bundle; keep this literal on its own.
const INJECTED_ACTOR_KEYS = '__CLAIMDESK_ACTOR_SIGNING_KEYS__';

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

let keys: Uint8Array[] | null = null;
function actorKeys(): Uint8Array[] {
  if (keys === null) {
    keys = /^([0-9a-f]{2})+(,([0-9a-f]{2})+)*$/.test(INJECTED_ACTOR_KEYS) ? INJECTED_ACTOR_KEYS.split(',').map(hexToBytes) : [];
  }
  return keys;
}

/** Throws the `forbidden` failure the client maps to 403 unless the Update's argument carries a valid actor signature. */
export function requireSignedActor(updateName: string, args: unknown): void {
  const problem = verifyActorUpdate(actorKeys(), updateName, workflowInfo().workflowId, args, Date.now());
  if (problem === null) return;
  throw ApplicationFailure.create({ type: 'forbidden', message: SIGNATURE_PROBLEM_MESSAGES[problem], nonRetryable: true, details: [{ holder: null, currentState: null }] });
}
