// Requesting a message: the template (by id or slug; its A/B variant for
// this contact), the contact from messaging's replica, the required
// variables checked before anything else (422 naming the missing ones),
// external content fetched (or the cache used, and the fallback recorded),
// the content rendered, and MessageRequested appended with the template id
// and version it used. Sending happens in the background (send queue).
import type { MessageChannel, MessageKind, MessageRequestedData } from '@engagement/contracts';
import { derivedId, RuleViolationError, type CommandContext } from '@engagement/decider';
import type { JsonObject, JsonValue } from '@engagement/event-store';
import type { Pool } from 'pg';
import { quoteIdent } from '@engagement/projections';
import { chooseVariant, type Variant } from '../campaigns/variant-choice';
import {
  contactVariables,
  type Recipient,
  type RecipientDirectory,
} from '../contacts-replica/recipient-directory';
import { messageStream, type MessagingStreams } from '../shared/messaging-streams';
import {
  missingRequiredVariables,
  renderTemplate,
  TemplateRenderError,
} from '../templates/template-rendering';
import type { LoadedTemplate, TemplatesHandler } from '../templates/templates.handler';
import { messageDecider } from './message.decider';
import type { ExternalContent } from '../templates/external-content';

export type MessageRequest = {
  messageId?: string;
  template: string;
  contactId: string;
  channel?: MessageChannel;
  variables: JsonObject;
  kind: MessageKind;
  campaignId?: string | null;
  registrationId?: string | null;
  eventId?: string | null;
  reminderType?: string | null;
  /** Extra roots for the template (event, registration). */
  extraContext?: JsonObject;
};

export type RequestedMessage = {
  id: string;
  status: string;
  created: boolean;
  position: bigint | null;
};

const PROVIDER: Record<MessageChannel, string> = {
  email: 'smtp',
  sms: 'twilio',
  whatsapp: 'twilio',
  push: 'recorded',
  in_app: 'recorded',
  voice: 'twilio',
};

export class MessageRequester {
  private readonly usedVersions = new Set<string>();

  constructor(
    private readonly streams: MessagingStreams,
    private readonly templates: TemplatesHandler,
    private readonly recipients: RecipientDirectory,
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly content: ExternalContent,
  ) {}

  async request(
    input: MessageRequest,
    context: CommandContext,
    preloaded?: { recipient?: Recipient | null },
  ): Promise<RequestedMessage> {
    // Under an Idempotency-Key (a client's POST /messages) a retry names the same message.
    const messageId = input.messageId ?? derivedId(context, 'message');
    const parent = await this.templates.resolve(input.template);
    const recipient =
      preloaded?.recipient !== undefined
        ? preloaded.recipient
        : await this.recipients.find(input.contactId);
    if (!recipient) {
      throw new RuleViolationError(
        `contact ${input.contactId} is not known to messaging`,
        'unknown-contact',
        {
          field: 'contactId',
        },
      );
    }
    const template = await this.variantFor(parent, input.contactId);
    const checked = checkMessageRequest(template, recipient, input, messageId);
    const body = await this.content.bodyOf(template, context);
    const request = renderMessageRequest(template, body, checked, input, messageId);
    await this.markUsed(template, context);
    const result = await this.streams.run(
      messageStream(messageId),
      messageDecider,
      { type: 'RequestMessage', request },
      context,
    );
    const status = result.state.exists ? result.state.status : 'requested';
    return {
      id: messageId,
      status: status === 'requested' ? 'queued' : status,
      created: result.events.length > 0,
      position: result.position,
    };
  }

  /**
   * Each contact's template (its A/B variant, or the template itself) with
   * that template's body, for many contacts at once: every template is
   * loaded, and its external content fetched, once (a campaign's page).
   */
  async templatesFor(
    templateRef: string,
    contactIds: readonly string[],
    context: CommandContext,
  ): Promise<Map<string, TemplateWithBody>> {
    const parent = await this.templates.resolve(templateRef);
    const variants = await this.variantsOf(parent);
    const loaded = new Map<string, Promise<TemplateWithBody>>();
    const load = (templateId: string) => {
      let found = loaded.get(templateId);
      if (!found) {
        found = (async () => {
          const template =
            templateId === parent.templateId ? parent : await this.templates.get(templateId);
          return { template, body: await this.content.bodyOf(template, context) };
        })();
        loaded.set(templateId, found);
      }
      return found;
    };
    const byContact = new Map<string, TemplateWithBody>();
    for (const contactId of contactIds) {
      const chosen = chooseVariant(contactId, parent.templateId, variants);
      byContact.set(contactId, await load(chosen ? chosen.templateId : parent.templateId));
    }
    return byContact;
  }

  /** Records the template version's first use (once per version and process: its stream records a use once anyway). */
  async markUsed(template: LoadedTemplate, context: CommandContext): Promise<void> {
    const used = `${template.templateId}:${template.version}`;
    if (this.usedVersions.has(used)) return;
    await this.templates.markUsed(template.templateId, template.version, context);
    this.usedVersions.add(used);
  }

  /** The contact's variant when the template is an A/B parent with active variants; else the template. */
  private async variantFor(parent: LoadedTemplate, contactId: string): Promise<LoadedTemplate> {
    const chosen = chooseVariant(contactId, parent.templateId, await this.variantsOf(parent));
    return chosen ? this.templates.get(chosen.templateId) : parent;
  }

  /** The active A/B variants of a template (none for a template that is not a parent). */
  async variantsOf(parent: LoadedTemplate): Promise<Variant[]> {
    const { rows } = await this.pool.query<{ id: string; variant_name: string }>(
      `SELECT id, variant_name FROM ${quoteIdent(this.schema)}.message_templates
        WHERE parent_template_id = $1 AND is_variant AND is_active AND variant_name IS NOT NULL`,
      [parent.templateId],
    );
    return rows.map((r) => ({ templateId: r.id, variantName: r.variant_name }));
  }
}

export type TemplateWithBody = {
  template: LoadedTemplate;
  body: { html: string | null; text: string | null };
};

export type CheckedRequest = { channel: MessageChannel; variables: JsonObject };

/**
 * What is checked before any content is fetched or rendered: the channel
 * matches the template, the template is active, the required variables are
 * there (a 422 naming the missing ones). Throws RuleViolationError.
 */
export function checkMessageRequest(
  template: LoadedTemplate,
  recipient: Recipient,
  input: MessageRequest,
  messageId: string,
): CheckedRequest {
  const channel = input.channel ?? template.fields.channel;
  if (channel !== template.fields.channel) {
    throw new RuleViolationError(
      `template ${template.fields.slug} is for ${template.fields.channel}, not ${channel}`,
      'channel-mismatch',
      {
        field: 'channel',
      },
    );
  }
  if (!template.fields.isActive) {
    throw new RuleViolationError(
      `template ${template.fields.slug} is not active`,
      'inactive-template',
      { field: 'template' },
    );
  }
  const variables: JsonObject = {
    ...input.variables,
    ...(input.extraContext ?? {}),
    contact: contactVariables(recipient) as JsonValue,
    message: { id: messageId },
  };
  const missing = missingRequiredVariables(template.fields.requiredVariables ?? [], variables);
  if (missing.length > 0) {
    throw new RuleViolationError(
      `missing required variables: ${missing.join(', ')}`,
      'missing-required-variables',
      {
        variables: missing,
      },
    );
  }
  return { channel, variables };
}

/** The message as requested: its content rendered, the template id and version it used. */
export function renderMessageRequest(
  template: LoadedTemplate,
  body: { html: string | null; text: string | null },
  checked: CheckedRequest,
  input: MessageRequest,
  messageId: string,
): MessageRequestedData {
  let rendered;
  try {
    rendered = renderTemplate(
      {
        subjectTemplate: template.fields.subjectTemplate,
        preheaderTemplate: template.fields.preheaderTemplate,
        html: body.html,
        text: body.text,
      },
      checked.variables,
    );
  } catch (error) {
    if (error instanceof TemplateRenderError) {
      throw new RuleViolationError(error.message, 'render-failed', { part: error.part });
    }
    throw error;
  }
  const { channel } = checked;
  return {
    messageId,
    contactId: input.contactId,
    channel,
    campaignId: input.campaignId ?? null,
    templateId: template.templateId,
    kind: input.kind,
    templateVersion: template.version,
    variantName: template.fields.isVariant ? template.fields.variantName : null,
    registrationId: input.registrationId ?? null,
    eventId: input.eventId ?? null,
    reminderType: input.reminderType ?? null,
    subject: rendered.subject,
    bodyHtml: rendered.html,
    bodyText: rendered.text,
    provider: PROVIDER[channel],
  };
}
