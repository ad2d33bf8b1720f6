// The events of a message template's stream (`template-<uuid>`) and of a
// campaign's stream (`campaign-<uuid>`), published on topic `messaging`
// beside the message events. Same rules: JSON only, changed only by adding.
import type { DomainEvent } from '@engagement/decider';
import type { JsonObject, JsonValue } from '@engagement/event-store';
import type { MessageChannel, MessageKind } from './message-events';

export const CONTENT_SOURCES = ['manual', 'cached', 'external_api', 'ai_generated'] as const;
export type ContentSource = (typeof CONTENT_SOURCES)[number];

/** Every column of the seed's message_templates, camelCase, but id, version and timestamps. */
export type TemplateFields = {
  slug: string;
  name: string;
  description: string | null;
  channel: MessageChannel;
  subjectTemplate: string | null;
  preheaderTemplate: string | null;
  contentSource: ContentSource;
  contentApiUrl: string | null;
  cachedContentHtml: string | null;
  cachedContentText: string | null;
  /** The declared variables: name → {type?, description?}; templates may use only these (and the built-in ones). */
  variables: JsonObject | null;
  /** Names that a send must provide (or the contact must have). */
  requiredVariables: string[] | null;
  generationPrompt: string | null;
  brandContext: JsonObject | null;
  isVariant: boolean;
  parentTemplateId: string | null;
  variantName: string | null;
  syncToCrm: boolean;
  crmTemplateMappings: JsonObject | null;
  isActive: boolean;
};

export type TemplateCreatedData = TemplateFields & { templateId: string; version: number };
export type TemplateCreated = DomainEvent<'TemplateCreated', TemplateCreatedData>;

/**
 * Only the changed fields are present. `version` is the version after the
 * change: the same when the edited version was never used, one more when
 * it was (messages keep pointing at what they used).
 */
export type TemplateRevisedData = Partial<TemplateFields> & {
  templateId: string;
  version: number;
};
export type TemplateRevised = DomainEvent<'TemplateRevised', TemplateRevisedData>;

/** A version was used for a message for the first time: edits now make a new version. */
export type TemplateVersionUsedData = { templateId: string; version: number };
export type TemplateVersionUsed = DomainEvent<'TemplateVersionUsed', TemplateVersionUsedData>;

/** external_api content: fetched and cached, or the cache used because the API failed. */
export type TemplateContentFetchedData = {
  templateId: string;
  html: string | null;
  text: string | null;
  fetchedAt: string;
};
export type TemplateContentFetched = DomainEvent<
  'TemplateContentFetched',
  TemplateContentFetchedData
>;
export type TemplateContentFallbackUsedData = {
  templateId: string;
  error: string;
  at: string;
};
export type TemplateContentFallbackUsed = DomainEvent<
  'TemplateContentFallbackUsed',
  TemplateContentFallbackUsedData
>;

/** Stream `template-slug-<slug>`: the slug belongs to one template (checked at write time). */
export type TemplateSlugReservedData = { slug: string; templateId: string };
export type TemplateSlugReserved = DomainEvent<'TemplateSlugReserved', TemplateSlugReservedData>;

export type TemplateEvent =
  | TemplateSlugReserved
  | TemplateCreated
  | TemplateRevised
  | TemplateVersionUsed
  | TemplateContentFetched
  | TemplateContentFallbackUsed;

export const TEMPLATE_EVENT_SCHEMA_VERSIONS = {
  TemplateSlugReserved: 1,
  TemplateCreated: 1,
  TemplateRevised: 1,
  TemplateVersionUsed: 1,
  TemplateContentFetched: 1,
  TemplateContentFallbackUsed: 1,
} as const satisfies Record<TemplateEvent['type'], number>;

// Campaigns ------------------------------------------------------------------

export const CAMPAIGN_STATUSES = ['draft', 'scheduled', 'sending', 'sent', 'cancelled'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** Who a campaign goes to, resolved from messaging's replica of contacts. */
export type CampaignAudience = {
  /** Contacts with any of these tag slugs (all contacts when empty). */
  tags: string[];
  /** Contacts in any of these lifecycle stages (any stage when empty). */
  lifecycleStages: string[];
  /** Property name → value that must match exactly. */
  properties: { [name: string]: string };
};

export type CampaignCreatedData = {
  campaignId: string;
  name: string;
  channel: MessageChannel;
  /** A template, or an A/B parent whose variants are chosen per contact. */
  templateId: string;
  kind: MessageKind;
  audience: CampaignAudience;
  /** Variables common to every message of the campaign. */
  variables: { [name: string]: JsonValue };
  scheduledAt: string | null;
};
export type CampaignCreated = DomainEvent<'CampaignCreated', CampaignCreatedData>;

export type CampaignRevisedData = Partial<Omit<CampaignCreatedData, 'campaignId'>> & {
  campaignId: string;
};
export type CampaignRevised = DomainEvent<'CampaignRevised', CampaignRevisedData>;

export type CampaignScheduledData = { campaignId: string; scheduledAt: string };
export type CampaignScheduled = DomainEvent<'CampaignScheduled', CampaignScheduledData>;

export type CampaignSendingStartedData = { campaignId: string; startedAt: string };
export type CampaignSendingStarted = DomainEvent<
  'CampaignSendingStarted',
  CampaignSendingStartedData
>;

export type CampaignCompletedData = {
  campaignId: string;
  audienceSize: number;
  completedAt: string;
};
export type CampaignCompleted = DomainEvent<'CampaignCompleted', CampaignCompletedData>;

export type CampaignCancelledData = { campaignId: string; cancelledAt: string };
export type CampaignCancelled = DomainEvent<'CampaignCancelled', CampaignCancelledData>;

export type CampaignEvent =
  | CampaignCreated
  | CampaignRevised
  | CampaignScheduled
  | CampaignSendingStarted
  | CampaignCompleted
  | CampaignCancelled;

export const CAMPAIGN_EVENT_SCHEMA_VERSIONS = {
  CampaignCreated: 1,
  CampaignRevised: 1,
  CampaignScheduled: 1,
  CampaignSendingStarted: 1,
  CampaignCompleted: 1,
  CampaignCancelled: 1,
} as const satisfies Record<CampaignEvent['type'], number>;
