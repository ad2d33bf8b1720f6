// The messages the SMTP emulator received: each kept as <id>.eml in the data
// folder, with one JSON line per message in index.jsonl (what was parsed
// from it), so tests and other processes can read what arrived, and a
// restarted emulator still knows them.
import { randomUUID } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type { ParsedMail, AddressObject } from 'mailparser';

export interface ReceivedMail {
  id: string;
  receivedAt: string;
  envelope: { mailFrom: string | null; rcptTo: string[] };
  /** Message-ID without angle brackets. */
  messageId: string | null;
  from: string[];
  to: string[];
  cc: string[];
  subject: string;
  date: string | null;
  /** Every header, name lower-cased, value unfolded as received; repeated headers give arrays. */
  headers: Record<string, string | string[]>;
  listUnsubscribe: string | null;
  listUnsubscribePost: string | null;
  text: string | null;
  html: string | null;
  attachments: { filename: string | null; contentType: string; size: number }[];
  size: number;
  emlFile: string;
}

export interface MailQuery {
  to?: string | null;
  messageId?: string | null;
  subject?: string | null;
  from?: string | null;
}

export class Mailbox {
  private mails: ReceivedMail[] = [];
  private readonly indexFile: string;

  constructor(private readonly dir: string) {
    this.indexFile = path.join(dir, 'index.jsonl');
    mkdirSync(dir, { recursive: true });
    if (existsSync(this.indexFile))
      this.mails = readFileSync(this.indexFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as ReceivedMail);
  }

  add(raw: Buffer, envelope: ReceivedMail['envelope'], parsed: ParsedMail): ReceivedMail {
    const id = randomUUID();
    const emlFile = path.join(this.dir, `${id}.eml`);
    writeFileSync(emlFile, raw);
    const headers = headersOf(parsed.headerLines);
    const single = (name: string) => {
      const value = headers[name];
      return value === undefined ? null : Array.isArray(value) ? value[0] : value;
    };
    const mail: ReceivedMail = {
      id,
      receivedAt: new Date().toISOString(),
      envelope,
      messageId: parsed.messageId ? bare(parsed.messageId) : null,
      from: addresses(parsed.from),
      to: addresses(parsed.to),
      cc: addresses(parsed.cc),
      subject: parsed.subject ?? '',
      date: parsed.date ? parsed.date.toISOString() : null,
      headers,
      listUnsubscribe: single('list-unsubscribe'),
      listUnsubscribePost: single('list-unsubscribe-post'),
      text: parsed.text ?? null,
      html: typeof parsed.html === 'string' ? parsed.html : null,
      attachments: parsed.attachments.map((a) => ({
        filename: a.filename ?? null,
        contentType: a.contentType,
        size: a.size,
      })),
      size: raw.length,
      emlFile,
    };
    appendFileSync(this.indexFile, `${JSON.stringify(mail)}\n`);
    this.mails.push(mail);
    return mail;
  }

  /** Oldest first; every given criterion must match (case-insensitive). */
  search(query: MailQuery): ReceivedMail[] {
    const to = query.to?.toLowerCase();
    const from = query.from?.toLowerCase();
    const messageId = query.messageId ? bare(query.messageId) : null;
    const subject = query.subject?.toLowerCase();
    return this.mails.filter(
      (m) =>
        (!to || [...m.envelope.rcptTo, ...m.to, ...m.cc].some((a) => a.toLowerCase() === to)) &&
        (!from || [m.envelope.mailFrom ?? '', ...m.from].some((a) => a.toLowerCase() === from)) &&
        (!messageId || m.messageId === messageId) &&
        (!subject || m.subject.toLowerCase().includes(subject)),
    );
  }

  get(id: string): ReceivedMail | null {
    return this.mails.find((m) => m.id === id) ?? null;
  }

  raw(mail: ReceivedMail): Buffer {
    return readFileSync(mail.emlFile);
  }

  /** Deletes every kept message, the files included. */
  clear(): void {
    for (const file of readdirSync(this.dir))
      if (file.endsWith('.eml') || file === 'index.jsonl')
        rmSync(path.join(this.dir, file), { force: true });
    this.mails = [];
  }
}

function bare(messageId: string): string {
  return messageId.trim().replace(/^<|>$/g, '');
}

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  const objects = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return objects.flatMap((o) => o.value.map((a) => a.address ?? '')).filter(Boolean);
}

function headersOf(lines: ParsedMail['headerLines']): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const { key, line } of lines) {
    const value = line
      .slice(line.indexOf(':') + 1)
      .replace(/\r?\n[ \t]+/g, ' ')
      .trim();
    const existing = headers[key];
    headers[key] =
      existing === undefined
        ? value
        : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return headers;
}
