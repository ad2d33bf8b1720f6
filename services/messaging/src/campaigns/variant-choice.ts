// A/B testing: which variant of a template a contact gets. Deterministic
// (a hash of the contact id and the parent template id), so the same
// contact always gets the same variant, across sends, restarts and
// instances, and variants split an audience evenly.
import { createHash } from 'node:crypto';

export type Variant = { templateId: string; variantName: string };

/** The contact's variant among the parent and its variants; null when there are none. */
export function chooseVariant(
  contactId: string,
  parentTemplateId: string,
  variants: readonly Variant[],
): Variant | null {
  if (variants.length === 0) return null;
  const ordered = [...variants].sort((a, b) => a.variantName.localeCompare(b.variantName));
  const digest = createHash('sha256').update(`${contactId}:${parentTemplateId}`).digest();
  return ordered[digest.readUInt32BE(0) % ordered.length];
}
