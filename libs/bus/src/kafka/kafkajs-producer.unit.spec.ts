import { splitBySize } from './kafkajs-producer';

describe('splitBySize', () => {
  const message = (bytes: number) => ({ key: 'k', value: 'x'.repeat(bytes), headers: {} });

  it('keeps order and splits before a part would exceed the limit', () => {
    const messages = [message(400), message(400), message(400), message(100)];
    const parts = splitBySize(messages, 1_000);
    expect(parts.map((p) => p.length)).toEqual([2, 2]);
    expect(parts.flat()).toEqual(messages);
  });

  it('sends a message larger than the limit on its own', () => {
    expect(
      splitBySize([message(10), message(5_000), message(10)], 1_000).map((p) => p.length),
    ).toEqual([1, 1, 1]);
  });

  it('makes no part of nothing', () => {
    expect(splitBySize([], 1_000)).toEqual([]);
  });
});
