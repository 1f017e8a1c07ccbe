export const MAX_INPUT_BYTES = 2 * 1024 * 1024;

export type ExtractionInputErrorCode = 'nul_byte' | 'invalid_utf8' | 'too_large';

export class ExtractionInputError extends Error {
  readonly code: ExtractionInputErrorCode;
  /** The input that was refused, when the caller named it (an API body field). */
  readonly field: string | null;

  constructor(code: ExtractionInputErrorCode, message: string, field: string | null = null) {
    super(message);
    this.name = 'ExtractionInputError';
    this.code = code;
    this.field = field;
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Throws ExtractionInputError for input that cannot be a real article: stray NULs, broken UTF-16, or too much of it. */
export function validateInput(text: string, field: string | null = null): void {
  if (typeof text !== 'string') {
    throw new TypeError('extractClaims expects a string');
  }
  // Buffer.byteLength measures without copying; a lone surrogate counts 3 bytes, as its replacement would.
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_INPUT_BYTES) {
    throw new ExtractionInputError(
      'too_large',
      `input is ${bytes} bytes of UTF-8; the limit is ${MAX_INPUT_BYTES} bytes (2 MB)`,
      field,
    );
  }
  const nul = text.indexOf('\u0000');
  if (nul !== -1) {
    throw new ExtractionInputError('nul_byte', `input contains a NUL byte at offset ${nul}; articles are plain text`, field);
  }
  const lone = LONE_SURROGATE.exec(text);
  if (lone) {
    throw new ExtractionInputError(
      'invalid_utf8',
      `input is not valid Unicode text: unpaired surrogate at offset ${lone.index} cannot be encoded as UTF-8`,
      field,
    );
  }
}
