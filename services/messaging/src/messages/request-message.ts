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
import { chooseVariant } from '../campaigns/variant-choice';
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
    const body = await this.content.bodyOf(template, context);
    let rendered;
    try {
      rendered = renderTemplate(
        {
          subjectTemplate: template.fields.subjectTemplate,
          preheaderTemplate: template.fields.preheaderTemplate,
          html: body.html,
          text: body.text,
        },
        variables,
      );
    } catch (error) {
      if (error instanceof TemplateRenderError) {
        throw new RuleViolationError(error.message, 'render-failed', { part: error.part });
      }
      throw error;
    }
    const request: MessageRequestedData = {
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
    // Once per version and process is enough: the template's stream records a use once anyway.
    const used = `${template.templateId}:${template.version}`;
    if (!this.usedVersions.has(used)) {
      await this.templates.markUsed(template.templateId, template.version, context);
      this.usedVersions.add(used);
    }
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

  /** The contact's variant when the template is an A/B parent with active variants; else the template. */
  private async variantFor(parent: LoadedTemplate, contactId: string): Promise<LoadedTemplate> {
    const { rows } = await this.pool.query<{ id: string; variant_name: string }>(
      `SELECT id, variant_name FROM ${quoteIdent(this.schema)}.message_templates
        WHERE parent_template_id = $1 AND is_variant AND is_active AND variant_name IS NOT NULL`,
      [parent.templateId],
    );
    const chosen = chooseVariant(
      contactId,
      parent.templateId,
      rows.map((r) => ({ templateId: r.id, variantName: r.variant_name })),
    );
    return chosen ? this.templates.get(chosen.templateId) : parent;
  }
}
