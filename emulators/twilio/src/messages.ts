// Messages as Twilio's Messages API answers them, and the pure decisions
// about them: is a send request valid (Twilio's documented 400 codes), which
// statuses will it go through, how many segments does its body take.
// `whatsapp:+…` addresses follow the same rules as phone numbers.
import { randomBytes } from 'node:crypto';

export type Outcome = 'unsubscribed' | 'undelivered' | 'failed';

/** What the admin API said about a number (matched without its `whatsapp:` prefix). */
export interface NumberRule {
  number: string;
  outcome: Outcome;
  errorCode: number | null;
}

export interface Message {
  account_sid: string;
  api_version: '2010-04-01';
  body: string;
  date_created: string;
  date_sent: string | null;
  date_updated: string;
  direction: 'outbound-api';
  error_code: number | null;
  error_message: string | null;
  from: string | null;
  messaging_service_sid: string | null;
  num_media: '0';
  num_segments: string;
  price: null;
  price_unit: 'USD';
  sid: string;
  status: string;
  subresource_uris: { media: string };
  to: string;
  uri: string;
}

export interface TwilioError {
  status: number;
  code: number;
  message: string;
}

export interface SendRequest {
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  statusCallback: string | null;
}

/** Error messages of the codes we emulate (see twilio.com/docs/errors/<code>). */
export const ERROR_MESSAGES: Record<number, string> = {
  30003: 'Unreachable destination handset',
  30005: 'Unknown destination handset',
  30006: 'Landline or unreachable carrier',
  30007: 'Message filtered',
  30008: 'Unknown error',
};

const ADDRESS = /^(whatsapp:)?\+[1-9]\d{6,14}$/;

export const bareNumber = (address: string) => address.replace(/^whatsapp:/, '');

export function parseSendRequest(
  params: URLSearchParams,
  rules: ReadonlyMap<string, NumberRule>,
): SendRequest | TwilioError {
  const to = params.get('To') ?? '';
  const from = params.get('From');
  const messagingServiceSid = params.get('MessagingServiceSid');
  const body = params.get('Body') ?? '';
  if (!to) return { status: 400, code: 21604, message: "A 'To' phone number is required." };
  if (!ADDRESS.test(to))
    return { status: 400, code: 21211, message: `Invalid 'To' Phone Number: ${to}` };
  if (!from && !messagingServiceSid)
    return { status: 400, code: 21603, message: "A 'From' phone number is required." };
  if (from && !ADDRESS.test(from))
    return { status: 400, code: 21212, message: `Invalid From Number (caller ID): ${from}` };
  if (messagingServiceSid && !/^MG[0-9a-fA-F]{32}$/.test(messagingServiceSid))
    return {
      status: 400,
      code: 21701,
      message: `The Messaging Service Sid ${messagingServiceSid} is invalid.`,
    };
  if (!body && !params.get('MediaUrl'))
    return { status: 400, code: 21602, message: 'Message body is required.' };
  if (body.length > 1600)
    return {
      status: 400,
      code: 21617,
      message: 'The concatenated message body exceeds the 1600 character limit.',
    };
  const statusCallback = params.get('StatusCallback');
  if (statusCallback && !/^https?:\/\/[^\s]+$/.test(statusCallback))
    return {
      status: 400,
      code: 21609,
      message: `The StatusCallback URL ${statusCallback} is not a valid URL.`,
    };
  if (rules.get(bareNumber(to))?.outcome === 'unsubscribed')
    return { status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' };
  return { to, from, messagingServiceSid, body, statusCallback };
}

/**
 * The statuses a message goes through after the one it is created with,
 * each announced by a status callback: a Messaging Service queues first;
 * then sent and delivered, or undelivered after sent, or failed outright.
 */
export function statusSteps(
  initial: 'queued' | 'accepted',
  rule: NumberRule | undefined,
): { status: string; errorCode: number | null }[] {
  const steps: { status: string; errorCode: number | null }[] =
    initial === 'accepted' ? [{ status: 'queued', errorCode: null }] : [];
  if (rule?.outcome === 'failed')
    return [...steps, { status: 'failed', errorCode: rule.errorCode ?? 30008 }];
  steps.push({ status: 'sent', errorCode: null });
  if (rule?.outcome === 'undelivered')
    return [...steps, { status: 'undelivered', errorCode: rule.errorCode ?? 30003 }];
  return [...steps, { status: 'delivered', errorCode: null }];
}

/** GSM-7 text takes 160 characters a segment (153 when split), anything else 70 (67). */
export function segmentCount(body: string): number {
  const gsm =
    /^[A-Za-z0-9 \r\n@£$¥èéùìòÇØøÅå_ÆæßÉ!"#%&'()*+,\-./:;<=>?¡ÄÖÑÜ§¿äöñüà^{}\\[~\]|€]*$/.test(body);
  const [single, multi] = gsm ? [160, 153] : [70, 67];
  return body.length <= single ? 1 : Math.ceil(body.length / multi);
}

export function newMessage(accountSid: string, request: SendRequest, now: Date): Message {
  const sid = `SM${randomBytes(16).toString('hex')}`;
  const date = rfc2822(now);
  const uri = `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`;
  return {
    account_sid: accountSid,
    api_version: '2010-04-01',
    body: request.body,
    date_created: date,
    date_sent: null,
    date_updated: date,
    direction: 'outbound-api',
    error_code: null,
    error_message: null,
    from: request.from,
    messaging_service_sid: request.messagingServiceSid,
    num_media: '0',
    num_segments: String(segmentCount(request.body)),
    price: null,
    price_unit: 'USD',
    sid,
    // A Messaging Service accepts first and picks the sender when it queues.
    status: request.from ? 'queued' : 'accepted',
    subresource_uris: { media: uri.replace(/\.json$/, '/Media.json') },
    to: request.to,
    uri,
  };
}

/** Twilio's dates: `Thu, 04 Dec 2026 20:20:24 +0000`. */
export function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}
