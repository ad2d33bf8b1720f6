// SMS through the Twilio channel against the Twilio emulator that
// `npm start` runs (TWILIO_API_BASE, its development credentials): the
// Messages API answers a message SID, and the status callbacks it sends
// carry an X-Twilio-Signature our verifier accepts and that says delivered.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { TwilioChannel } from './twilio.channel';
import { ProviderError } from './channel';
import { parseTwilioStatus, verifyTwilioSignature } from './twilio-signature';

const apiBase = process.env.TWILIO_API_BASE ?? 'http://127.0.0.1:4020';
const authToken = process.env.TWILIO_AUTH_TOKEN ?? 'emulator-auth-token';
const channel = new TwilioChannel({
  apiBase,
  accountSid: process.env.TWILIO_ACCOUNT_SID ?? 'AC00000000000000000000000000000001',
  authToken,
  smsFrom: '+15005550006',
  whatsappFrom: 'whatsapp:+15005550006',
  timeoutMs: 5_000,
});

describe('Twilio channel against the emulator', () => {
  let server: Server;
  let url: string;
  const callbacks: Array<{ valid: boolean; params: Record<string, string> }> = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        const params = Object.fromEntries(new URLSearchParams(body));
        const signature = request.headers['x-twilio-signature'] as string | undefined;
        callbacks.push({
          valid: verifyTwilioSignature(authToken, `${url}${request.url}`, params, signature),
          params,
        });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends an SMS and gets signed status callbacks ending in delivered', async () => {
    const messageId = randomUUID();
    const sent = await channel.send({
      messageId,
      channel: 'sms',
      idempotencyKey: `${messageId}:1`,
      to: { email: null, phone: '+14155550100', name: null },
      subject: null,
      html: null,
      text: 'Your webinar starts in an hour',
      unsubscribeUrl: null,
      statusCallbackUrl: `${url}/webhooks/twilio/status?messageId=${messageId}`,
    });
    expect(sent.providerMessageId).toMatch(/^SM[0-9a-f]{32}$/);
    const deadline = Date.now() + 15_000;
    while (
      !callbacks.some((c) => c.params.MessageStatus === 'delivered') &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const delivered = callbacks.find((c) => c.params.MessageStatus === 'delivered');
    expect(delivered).toMatchObject({
      valid: true,
      params: { MessageSid: sent.providerMessageId },
    });
    expect(parseTwilioStatus(delivered!.params)).toEqual({ kind: 'delivered' });
  });

  it('refuses an invalid number for good (no retry)', async () => {
    const error = await channel
      .send({
        messageId: randomUUID(),
        channel: 'sms',
        idempotencyKey: 'k',
        to: { email: null, phone: 'not-a-number', name: null },
        subject: null,
        html: null,
        text: 'x',
        unsubscribeUrl: null,
        statusCallbackUrl: null,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).retryable).toBe(false);
  });
});
