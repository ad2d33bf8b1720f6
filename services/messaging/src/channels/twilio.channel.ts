// SMS and WhatsApp through Twilio's Messages API (POST
// /2010-04-01/Accounts/{sid}/Messages.json, form-encoded, Basic auth),
// against TWILIO_API_BASE (the local emulator by default). A thin client of
// the documented API rather than the `twilio` package: the package has no
// supported way to change its base URL, and we use two calls of it.
// Status callbacks come back signed with X-Twilio-Signature (twilio-webhook.ts).
import type { ChannelProvider, OutgoingMessage, Reconciliation, SendOutcome } from './channel';
import { ProviderError } from './channel';

export type TwilioOptions = {
  apiBase: string;
  accountSid: string;
  authToken: string;
  smsFrom: string;
  whatsappFrom: string;
  timeoutMs: number;
};

export class TwilioChannel implements ChannelProvider {
  readonly provider = 'twilio';

  constructor(private readonly options: TwilioOptions) {}

  async send(message: OutgoingMessage): Promise<SendOutcome> {
    const phone = message.to.phone;
    if (!phone) throw new ProviderError('no-address', 'the contact has no phone number', false);
    const whatsapp = message.channel === 'whatsapp';
    const form = new URLSearchParams({
      To: whatsapp ? `whatsapp:${phone}` : phone,
      From: whatsapp ? this.options.whatsappFrom : this.options.smsFrom,
      Body: message.text ?? '',
    });
    if (message.statusCallbackUrl) form.set('StatusCallback', message.statusCallbackUrl);
    const { apiBase, accountSid, authToken } = this.options;
    let response: Response;
    try {
      response = await fetch(
        `${apiBase.replace(/\/+$/, '')}/2010-04-01/Accounts/${accountSid}/Messages.json`,
        {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: form,
          signal: AbortSignal.timeout(this.options.timeoutMs),
        },
      );
    } catch (error) {
      throw new ProviderError('network', (error as Error).message, true);
    }
    const body = (await response.json().catch(() => ({}))) as {
      sid?: string;
      code?: number;
      message?: string;
      status?: string;
    };
    if (response.ok && body.sid)
      return { providerMessageId: body.sid, metadata: { status: body.status ?? null } };
    const code = String(body.code ?? response.status);
    const text = body.message ?? `Twilio answered ${response.status}`;
    // 429 and 5xx pass; a 400 (invalid number, unsubscribed recipient 21610) will not.
    const retryable = response.status === 429 || response.status >= 500;
    const hard = code === '21211' || code === '21614' ? 'hard' : null;
    throw new ProviderError(code, text, retryable, hard);
  }

  async reconcile(): Promise<Reconciliation> {
    // The Messages API cannot be searched by our id: unknown, counted as sent.
    return { outcome: 'unknown', providerMessageId: null };
  }

  async close(): Promise<void> {}
}
