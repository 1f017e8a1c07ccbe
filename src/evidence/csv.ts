/** One CSV record and the 1-based line it starts on (a quoted field may span lines). */
export interface CsvRecord {
  line: number;
  fields: string[];
  /** Set when the record is malformed (an unterminated quote); `fields` is then what could be read. */
  error?: string;
}

/**
 * RFC 4180 CSV, fed line by line so large files stream: comma-separated, fields optionally in double quotes,
 * "" inside quotes is a literal quote, and quoted fields may contain commas and line breaks. A quote inside an
 * unquoted field is kept as text, as spreadsheet exports do; text after a field's closing quote ("ab"cd) is an error,
 * not silently joined, because it usually means a quote inside the field was not doubled.
 *
 * csv-parse was tried in its place (issue 9) and kept out: after one such error it cannot resume at the next record
 * (the rest of the file becomes one "unclosed quote"), so an import could no longer report every bad row by line.
 */
export class CsvParser {
  private fields: string[] = [];
  private field = '';
  private inQuotes = false;
  private quotedField = false;
  /** The current field's closing quote has been read: only a comma or the end of the line may follow. */
  private closed = false;
  private error: string | undefined;
  private startLine = 0;

  /** Feeds one line (without its line break); returns the record it completes, if any. */
  push(line: string, lineNo: number): CsvRecord | null {
    if (!this.inQuotes) {
      this.startLine = lineNo;
      this.fields = [];
      this.field = '';
      this.quotedField = false;
      this.closed = false;
      this.error = undefined;
    } else {
      this.field += '\n';
    }
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (this.inQuotes) {
        if (ch === '"') {
          if (line[i + 1] === '"') {
            this.field += '"';
            i++;
          } else {
            this.inQuotes = false;
            this.closed = true;
          }
        } else this.field += ch;
      } else if (ch === ',') {
        this.fields.push(this.field);
        this.field = '';
        this.quotedField = false;
        this.closed = false;
      } else if (this.closed) {
        this.error ??= `text after the closing quote of field ${this.fields.length + 1} (write "" for a quote inside a quoted field)`;
        this.field += ch;
      } else if (ch === '"' && this.field === '' && !this.quotedField) {
        this.inQuotes = true;
        this.quotedField = true;
      } else {
        this.field += ch;
      }
    }
    if (this.inQuotes) return null;
    this.fields.push(this.field);
    return this.error ? { line: this.startLine, fields: this.fields, error: this.error } : { line: this.startLine, fields: this.fields };
  }

  /** Call at end of input: a record still open is reported as malformed. */
  end(): CsvRecord | null {
    if (!this.inQuotes) return null;
    this.inQuotes = false;
    this.fields.push(this.field);
    return { line: this.startLine, fields: this.fields, error: 'unterminated quoted field (a " opened here is never closed)' };
  }
}

/** Parses a whole CSV string (tests and small inputs). */
export function parseCsv(text: string): CsvRecord[] {
  const parser = new CsvParser();
  const out: CsvRecord[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const r = parser.push(line, i + 1);
    if (r) out.push(r);
  });
  const last = parser.end();
  if (last) out.push(last);
  return out;
}
