// X-Twilio-Signature on status callbacks, checked with the official
// package's validateRequest: base64(HMAC-SHA1(auth token, the full URL
// Twilio called + each POST parameter's name and value, sorted by name)),
// compared in constant time.
import twilio from 'twilio';

export function verifyTwilioSignature(
  authToken: string,
  url: string,
  params: Record<string, string>,
  signature: string | undefined,
): boolean {
  if (!signature) return false;
  return twilio.validateRequest(authToken, signature, url, params);
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
