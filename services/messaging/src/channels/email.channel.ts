// Email over real SMTP with nodemailer (a pooled transport): multipart HTML
// and text, RFC 8058 one-click unsubscribe headers, and a Message-ID made
// from our message id, recorded as provider_message_id. SMTP has no way to
// ask whether a message went out, so an attempt a crash interrupted is
// reconciled as "unknown" (counted as sent: a person never gets two copies).
import nodemailer, { type Transporter } from 'nodemailer';
import type { ChannelProvider, OutgoingMessage, Reconciliation, SendOutcome } from './channel';
import { ProviderError } from './channel';

export type EmailChannelOptions = {
  /** smtp://host:port (SMTP_URL). */
  smtpUrl: string;
  from: string;
  /** Right-hand side of Message-IDs. */
  messageIdDomain: string;
  maxConnections: number;
};

export class EmailChannel implements ChannelProvider {
  readonly provider = 'smtp';
  private readonly transport: Transporter;

  constructor(private readonly options: EmailChannelOptions) {
    const url = new URL(options.smtpUrl);
    this.transport = nodemailer.createTransport({
      pool: true,
      host: url.hostname,
      port: Number(url.port || 25),
      secure: url.protocol === 'smtps:',
      auth: url.username
        ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
        : undefined,
      maxConnections: options.maxConnections,
      maxMessages: Infinity,
      // A local relay without STARTTLS is normal in development; TLS is used when offered.
      ignoreTLS: url.searchParams.get('tls') === 'off',
      connectionTimeout: 10_000,
      socketTimeout: 30_000,
    });
  }

  messageIdOf(messageId: string): string {
    return `<${messageId}@${this.options.messageIdDomain}>`;
  }

  async send(message: OutgoingMessage): Promise<SendOutcome> {
    if (!message.to.email)
      throw new ProviderError('no-address', 'the contact has no email address', false);
    const messageId = this.messageIdOf(message.messageId);
    const headers: Record<string, string> = { 'X-Engagement-Message-Id': message.messageId };
    if (message.unsubscribeUrl) {
      headers['List-Unsubscribe'] = `<${message.unsubscribeUrl}>`;
      headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
    }
    try {
      const info = await this.transport.sendMail({
        from: this.options.from,
        to: message.to.name
          ? { name: message.to.name, address: message.to.email }
          : message.to.email,
        subject: message.subject ?? '',
        html: message.html ?? undefined,
        text: message.text ?? undefined,
        messageId,
        headers,
      });
      return {
        providerMessageId: info.messageId ?? messageId,
        metadata: { response: info.response },
      };
    } catch (error) {
      throw smtpError(error);
    }
  }

  async reconcile(message: OutgoingMessage): Promise<Reconciliation> {
    return { outcome: 'unknown', providerMessageId: this.messageIdOf(message.messageId) };
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/** 5xx for the recipient is a hard bounce; 4xx and network errors are worth a retry. */
export function smtpError(error: unknown): ProviderError {
  const e = error as { responseCode?: number; code?: string; message?: string; command?: string };
  const text = (e.message ?? String(error)).slice(0, 500);
  if (typeof e.responseCode === 'number') {
    const code = String(e.responseCode);
    if (e.responseCode >= 500) {
      const recipient = e.command === 'RCPT TO' || /^55[0-3]$/.test(code);
      return new ProviderError(code, text, false, recipient ? 'hard' : null);
    }
    return new ProviderError(code, text, true);
  }
  return new ProviderError(e.code ?? 'smtp-error', text, true);
}
