import { randomUUID } from 'node:crypto';
import { chooseVariant } from './variant-choice';

const parent = 'e0000000-0000-4000-8000-000000000001';
const variants = [
  { templateId: 'b', variantName: 'B' },
  { templateId: 'a', variantName: 'A' },
];

describe('A/B variant choice', () => {
  it('gives the same contact the same variant, whatever the order variants are listed in', () => {
    const contact = randomUUID();
    expect(chooseVariant(contact, parent, variants)).toEqual(
      chooseVariant(contact, parent, [...variants].reverse()),
    );
  });

  it('splits contacts between the variants', () => {
    const counts = { A: 0, B: 0 } as Record<string, number>;
    for (let i = 0; i < 2000; i++)
      counts[chooseVariant(randomUUID(), parent, variants)!.variantName]++;
    expect(counts.A).toBeGreaterThan(800);
    expect(counts.B).toBeGreaterThan(800);
  });

  it('chooses nothing when there are no variants', () => {
    expect(chooseVariant(randomUUID(), parent, [])).toBeNull();
  });
});
