// Twilio's request signature, as its docs and SDK compute it:
// X-Twilio-Signature = base64(HMAC-SHA1(auth token, full URL + each POST
// parameter's name and value, sorted by name, no separators)).
import { createHmac } from 'node:crypto';

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
