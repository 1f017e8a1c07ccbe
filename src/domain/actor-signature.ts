// Signed actors. The API is the only place that authenticates people; the claim workflow trusts the `actor` in an
// Update only when it carries an HMAC, made by the API with a key shared by API and worker processes, over the Update
// name, the workflow id and all of the Update's arguments (actor, task, verdict...) with an issued-at time. Anyone who
// can reach Temporal but lacks the key cannot claim, approve or escalate a role. Pure code: the workflow sandbox runs it.
import { constantTimeEqual, hmacSha256, toHex, utf8Bytes } from './hmac-sha256.ts';

export const ACTOR_SIGNATURE_VERSION = 1;
/** How far an Update's issued-at time may be from the workflow's clock: bounds how long a captured signature works. */
export const ACTOR_SIGNATURE_MAX_AGE_MS = 5 * 60_000;
/**
 * The key development and tests use when ACTOR_SIGNING_KEY is unset. It is public (it is in this file), so it proves
 * nothing: the configuration refuses to start with it, or without a key, when NODE_ENV=production.
 */
export const DEV_ACTOR_SIGNING_KEY = 'claimdesk-development-only-actor-signing-key-not-secret';
export const MIN_ACTOR_SIGNING_KEY_LENGTH = 32;

export interface ActorSignature {
  v: number;
  /** Issued at, epoch milliseconds (API clock). */
  iat: number;
  /** Hex HMAC-SHA256. */
  mac: string;
}

/** The current key signs; every key in the list verifies (current first, then previous ones during a rotation). */
export interface ActorSigningKeys {
  current: string;
  previous: string[];
}

export const DEV_ACTOR_SIGNING_KEYS: ActorSigningKeys = { current: DEV_ACTOR_SIGNING_KEY, previous: [] };

/** JSON with object keys sorted at every level, so the API and the workflow hash the same bytes for the same value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

function signedBytes(update: string, workflowId: string, iat: number, args: Record<string, unknown>): Uint8Array {
  const { signature: _ignored, ...rest } = args;
  return utf8Bytes(canonicalJson(['claimdesk-actor', ACTOR_SIGNATURE_VERSION, update, workflowId, iat, rest]));
}

function mac(key: Uint8Array, update: string, workflowId: string, iat: number, args: Record<string, unknown>): string {
  return toHex(hmacSha256(key, signedBytes(update, workflowId, iat, args)));
}

/** The signature the API attaches to an Update's argument (as its `signature` field). */
export function signActorUpdate(key: string, update: string, workflowId: string, args: Record<string, unknown>, now: number): ActorSignature {
  return { v: ACTOR_SIGNATURE_VERSION, iat: now, mac: mac(utf8Bytes(key), update, workflowId, now, args) };
}

/** The bytes a key string stands for (its UTF-8 encoding), as the worker hands them to the workflow sandbox. */
export function actorKeyBytes(key: string): Uint8Array {
  return utf8Bytes(key);
}

export type SignatureProblem = 'missing' | 'malformed' | 'expired' | 'mismatch' | 'no_keys';

/** null when the argument's signature verifies under one of the keys for this Update and workflow, else why not. */
export function verifyActorUpdate(keys: readonly Uint8Array[], update: string, workflowId: string, args: unknown, now: number): SignatureProblem | null {
  if (keys.length === 0) return 'no_keys';
  if (args === null || typeof args !== 'object' || Array.isArray(args)) return 'malformed';
  const record = args as Record<string, unknown>;
  const signature = record.signature as Partial<ActorSignature> | undefined;
  if (signature === undefined || signature === null) return 'missing';
  if (typeof signature !== 'object' || signature.v !== ACTOR_SIGNATURE_VERSION || typeof signature.iat !== 'number' || !Number.isFinite(signature.iat) || typeof signature.mac !== 'string') {
    return 'malformed';
  }
  if (Math.abs(now - signature.iat) > ACTOR_SIGNATURE_MAX_AGE_MS) return 'expired';
  const given = signature.mac;
  const iat = signature.iat;
  // Every key is tried (no early exit), so timing does not tell which key matched.
  let ok = false;
  for (const key of keys) ok = constantTimeEqual(mac(key, update, workflowId, iat, record), given) || ok;
  return ok ? null : 'mismatch';
}

export const SIGNATURE_PROBLEM_MESSAGES: Record<SignatureProblem, string> = {
  missing: 'the update carries no actor signature: task actions go through the claimdesk API',
  malformed: 'the update has a malformed actor signature',
  expired: 'the actor signature is too old or from the future',
  mismatch: 'the actor signature does not verify for this actor, action, claim and task',
  no_keys: 'this worker has no actor signing key, so it accepts no task action',
};
