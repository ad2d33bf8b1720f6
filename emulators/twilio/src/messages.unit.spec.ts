// The pure decisions about a message: status steps and segment counts.
import { segmentCount, statusSteps } from './messages';

describe('statusSteps', () => {
  it('goes queued → sent → delivered for an ordinary number', () => {
    expect(statusSteps('queued', undefined).map((s) => s.status)).toEqual(['sent', 'delivered']);
  });

  it('queues first when a Messaging Service accepted the message', () => {
    expect(statusSteps('accepted', undefined).map((s) => s.status)).toEqual([
      'queued',
      'sent',
      'delivered',
    ]);
  });

  it('ends undelivered after sent, or failed without being sent, with the error code', () => {
    expect(
      statusSteps('queued', { number: '+1', outcome: 'undelivered', errorCode: 30006 }),
    ).toEqual([
      { status: 'sent', errorCode: null },
      { status: 'undelivered', errorCode: 30006 },
    ]);
    expect(statusSteps('queued', { number: '+1', outcome: 'failed', errorCode: null })).toEqual([
      { status: 'failed', errorCode: 30008 },
    ]);
  });
});

describe('segmentCount', () => {
  it('counts GSM-7 text by 160, then 153 per segment', () => {
    expect(segmentCount('a'.repeat(160))).toBe(1);
    expect(segmentCount('a'.repeat(161))).toBe(2);
    expect(segmentCount('a'.repeat(307))).toBe(3);
  });

  it('counts other text (UCS-2) by 70, then 67 per segment', () => {
    expect(segmentCount('ж'.repeat(70))).toBe(1);
    expect(segmentCount('ж'.repeat(71))).toBe(2);
  });
});
