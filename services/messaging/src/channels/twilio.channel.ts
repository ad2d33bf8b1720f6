// SMS and WhatsApp through Twilio's Messages API with the official `twilio`
// package, against TWILIO_API_BASE (the local emulator by default). The
// package always builds https://api.twilio.com/... URLs; its documented
// extension point, a custom httpClient, is where they are moved to the
// configured base: ApiBaseRequestClient is the package's own RequestClient
// (axios, keep-alive, its auth and headers) with only the origin changed.
// Status callbacks come back signed with X-Twilio-Signature, checked with
// the package's validateRequest (twilio-signature.ts).
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
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

type RequestOptions<TData> = RequestClient.RequestOptions<TData>;

/** The package's HTTP client, sending to `apiBase` what it would send to Twilio's hosts. */
export class ApiBaseRequestClient extends twilio.RequestClient {
  private readonly base: string;

  constructor(apiBase: string, options: ConstructorParameters<typeof twilio.RequestClient>[0]) {
    super(options);
    this.base = apiBase.replace(/\/+$/, '');
  }

  override request<TData>(opts: RequestOptions<TData>) {
    const uri = new URL(opts.uri);
    return super.request<TData>({ ...opts, uri: `${this.base}${uri.pathname}${uri.search}` });
  }
}

export class TwilioChannel implements ChannelProvider {
  readonly provider = 'twilio';
  private readonly client: twilio.Twilio;

  constructor(private readonly options: TwilioOptions) {
    this.client = twilio(options.accountSid, options.authToken, {
      httpClient: new ApiBaseRequestClient(options.apiBase, {
        timeout: options.timeoutMs,
        keepAlive: true,
      }),
      // Retries are ours (the send queue's backoff, recorded per attempt), not hidden in the client.
      autoRetry: false,
    });
  }

  async send(message: OutgoingMessage): Promise<SendOutcome> {
    const phone = message.to.phone;
    if (!phone) throw new ProviderError('no-address', 'the contact has no phone number', false);
    const whatsapp = message.channel === 'whatsapp';
    try {
      const sent = await this.client.messages.create({
        to: whatsapp ? `whatsapp:${phone}` : phone,
        from: whatsapp ? this.options.whatsappFrom : this.options.smsFrom,
        body: message.text ?? '',
        ...(message.statusCallbackUrl ? { statusCallback: message.statusCallbackUrl } : {}),
      });
      return { providerMessageId: sent.sid, metadata: { status: sent.status ?? null } };
    } catch (error) {
      throw twilioError(error);
    }
  }

  async reconcile(): Promise<Reconciliation> {
    // The Messages API cannot be searched by our id: unknown, counted as sent.
    return { outcome: 'unknown', providerMessageId: null };
  }

  async close(): Promise<void> {}
}

/**
 * Twilio's answer as a ProviderError: 429 and 5xx are retried, a 400
 * (invalid number, unsubscribed recipient 21610) is not; an invalid or
 * unreachable number is a hard bounce. No answer at all is retried.
 */
export function twilioError(error: unknown): ProviderError {
  if (error instanceof twilio.RestException) {
    const code = String(error.code ?? error.status);
    const retryable = error.status === 429 || error.status >= 500;
    const hard = code === '21211' || code === '21614' ? 'hard' : null;
    return new ProviderError(
      code,
      error.message || `Twilio answered ${error.status}`,
      retryable,
      hard,
    );
  }
  return new ProviderError('network', (error as Error).message, true);
}
