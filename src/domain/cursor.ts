// Page cursors are opaque to clients: base64url JSON of the sort key of the last item served.
// One codec for every list; each list checks the decoded value has the shape it handed out.

export class InvalidCursorError extends Error {
  readonly code = 'invalid_cursor' as const;
  readonly field = 'cursor' as const;
  constructor(message: string) {
    super(message);
    this.name = 'InvalidCursorError';
  }
}

export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** The decoded JSON, or InvalidCursorError (with `message`) when the text is not a cursor at all. */
export function decodeCursorJson(cursor: string, message: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError(message);
  }
}
