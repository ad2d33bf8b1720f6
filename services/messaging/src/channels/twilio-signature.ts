// X-Twilio-Signature, as Twilio documents it: base64(HMAC-SHA1(auth token,
// the full URL Twilio called + each POST parameter's name and value, sorted
// by name, no separators)). Compared in constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';

export function twilioSignature(
  authToken: string,
  url: string,
  params: Record<string, string>,
): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, name) => acc + name + params[name], url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

export function verifyTwilioSignature(
  authToken: string,
  url: string,
  params: Record<string, string>,
  signature: string | undefined,
): boolean {
  if (!signature) return false;
  const expected = Buffer.from(twilioSignature(authToken, url, params));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export type TwilioStatusUpdate =
  | { kind: 'delivered' }
  | {
      kind: 'failed';
      errorCode: string | null;
      errorMessage: string | null;
      bounce: 'hard' | 'soft';
    }
  | { kind: 'ignored' };

/** What a status callback means for the message (Twilio sends no callback for the initial status). */
export function parseTwilioStatus(params: Record<string, string>): TwilioStatusUpdate {
  const status = params.MessageStatus ?? params.SmsStatus;
  const errorCode = params.ErrorCode || null;
  switch (status) {
    case 'delivered':
    case 'read':
      return { kind: 'delivered' };
    case 'undelivered':
    case 'failed':
      // 30003/30005/30006: the handset or number is unreachable or unknown: the address is bad.
      return {
        kind: 'failed',
        errorCode,
        errorMessage: params.ErrorMessage || null,
        bounce:
          errorCode && ['30005', '30006', '21211', '21614'].includes(errorCode) ? 'hard' : 'soft',
      };
    default:
      return { kind: 'ignored' };
  }
}
