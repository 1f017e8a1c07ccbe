export const MAX_INPUT_BYTES = 2 * 1024 * 1024;

export type ExtractionInputErrorCode = 'nul_byte' | 'invalid_utf8' | 'too_large';

export class ExtractionInputError extends Error {
  readonly code: ExtractionInputErrorCode;

  constructor(code: ExtractionInputErrorCode, message: string) {
    super(message);
    this.name = 'ExtractionInputError';
    this.code = code;
  }
}

// Counted by hand rather than with TextEncoder so a 2 MB string is not copied just to be measured.
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    } else bytes += 3;
  }
  return bytes;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Throws ExtractionInputError for input that cannot be a real article: stray NULs, broken UTF-16, or too much of it. */
export function validateInput(text: string): void {
  if (typeof text !== 'string') {
    throw new TypeError('extractClaims expects a string');
  }
  const bytes = utf8ByteLength(text);
  if (bytes > MAX_INPUT_BYTES) {
    throw new ExtractionInputError(
      'too_large',
      `input is ${bytes} bytes of UTF-8; the limit is ${MAX_INPUT_BYTES} bytes (2 MB)`,
    );
  }
  const nul = text.indexOf('\u0000');
  if (nul !== -1) {
    throw new ExtractionInputError('nul_byte', `input contains a NUL byte at offset ${nul}; articles are plain text`);
  }
  const lone = LONE_SURROGATE.exec(text);
  if (lone) {
    throw new ExtractionInputError(
      'invalid_utf8',
      `input is not valid Unicode text: unpaired surrogate at offset ${lone.index} cannot be encoded as UTF-8`,
    );
  }
}
