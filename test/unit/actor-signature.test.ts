import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hmacSha256, sha256, toHex, utf8Bytes } from '../../src/domain/hmac-sha256.ts';
import { actorKeyBytes, canonicalJson, signActorUpdate, verifyActorUpdate, ACTOR_SIGNATURE_MAX_AGE_MS } from '../../src/domain/actor-signature.ts';

describe('pure SHA-256 / HMAC-SHA256 (used inside the workflow sandbox)', () => {
  it('matches node:crypto on the standard vectors and on lengths around the padding boundaries', () => {
    expect(toHex(sha256(utf8Bytes('')))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(toHex(sha256(utf8Bytes('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    for (let n = 0; n <= 200; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
      expect(toHex(sha256(bytes))).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });

  it('matches node:crypto for any key (shorter and longer than a block) and any message', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 150 }), fc.uint8Array({ maxLength: 300 }), (key, message) => {
        expect(toHex(hmacSha256(key, message))).toBe(createHmac('sha256', key).update(message).digest('hex'));
      }),
      { numRuns: 300 },
    );
  });

  it('encodes any string as UTF-8 exactly as Buffer does, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), maxLength: 4 }), (a, b) => {
        const text = a + b + a;
        expect(Buffer.from(utf8Bytes(text)).equals(Buffer.from(text, 'utf8'))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('actor signatures', () => {
  const key = 'k'.repeat(40);
  const keys = [actorKeyBytes(key)];
  const args = { taskId: '12', actor: { name: 'ana', role: 'fact_checker' } };
  const now = 1_800_000_000_000;

  it('canonical JSON does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }));
  });

  it('verifies its own signature and refuses every change to actor, role, task, action, claim, time or key', () => {
    const signature = signActorUpdate(key, 'claimTask', 'claim-1', args, now);
    expect(verifyActorUpdate(keys, 'claimTask', 'claim-1', { ...args, signature }, now)).toBeNull();
    expect(verifyActorUpdate(keys, 'claimTask', 'claim-1', args, now)).toBe('missing');
    expect(verifyActorUpdate(keys, 'claimTask', 'claim-1', { ...args, signature: { ...signature, mac: 'x' } }, now)).toBe('mismatch');
    expect(verifyActorUpdate(keys, 'claimTask', 'claim-1', { ...args, actor: { name: 'ana', role: 'admin' }, signature }, now)).toBe('mismatch');
    expect(verifyActorUpdate(keys, 'claimTask', 'claim-1', { ...args, actor: { name: 'ben', role: 'fact_checker' }, signature }, now)).toBe('mismatch');
    expect(verifyActorUpdate(keys, 'claimTask', 'claim-1', { ...args, taskId: '13', signature }, now)).toBe('mismatch');
    expect(verifyActorUpdate(keys, 'approve', 'claim-1', { ...args, signature }, now)).toBe('mismatch');
    expect(verifyActorUpdate(keys, 'claimTask', 'claim-2', { ...args, signature }, now)).toBe('mismatch');
    expect(verifyActorUpdate(keys, 'claimTask', 'claim-1', { ...args, signature: { ...signature, iat: now + 1 } }, now)).toBe('mismatch');
    expect(verifyActorUpdate([actorKeyBytes('z'.repeat(40))], 'claimTask', 'claim-1', { ...args, signature }, now)).toBe('mismatch');
    expect(verifyActorUpdate(keys, 'claimTask', 'claim-1', { ...args, signature }, now + ACTOR_SIGNATURE_MAX_AGE_MS + 1)).toBe('expired');
    expect(verifyActorUpdate(keys, 'claimTask', 'claim-1', { ...args, signature: { v: 1, iat: 'now', mac: signature.mac } }, now)).toBe('malformed');
    expect(verifyActorUpdate([], 'claimTask', 'claim-1', { ...args, signature }, now)).toBe('no_keys');
  });

  it('accepts a signature by a previous key during a rotation', () => {
    const old = 'o'.repeat(40);
    const signature = signActorUpdate(old, 'approve', 'claim-9', args, now);
    expect(verifyActorUpdate([actorKeyBytes(key), actorKeyBytes(old)], 'approve', 'claim-9', { ...args, signature }, now)).toBeNull();
  });
});
