// Creating and revising templates: the slug is reserved on its own stream
// first (one template per slug, checked at write time, not in the read
// model), then the template's stream is created or revised by its decider.
import { randomUUID } from 'node:crypto';
import type { TemplateFields } from '@engagement/contracts';
import {
  ConflictError,
  NotFoundError,
  RuleViolationError,
  type CommandContext,
} from '@engagement/decider';
import { WrongExpectedRevisionError } from '@engagement/event-store';
import { toNewEvent } from '@engagement/decider';
import { messagingSchemaVersionOf } from '@engagement/contracts';
import { MessagingStreams, slugStream, templateStream } from '../shared/messaging-streams';
import { checkTemplateFields, templateDecider, type TemplateState } from './template.decider';

export type LoadedTemplate = Extract<TemplateState, { exists: true }>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class TemplatesHandler {
  constructor(private readonly streams: MessagingStreams) {}

  async create(fields: TemplateFields, context: CommandContext, templateId: string = randomUUID()) {
    checkTemplateFields(fields);
    await this.reserveSlug(fields.slug, templateId, context);
    if (fields.parentTemplateId) await this.get(fields.parentTemplateId, 'unknown-parent-template');
    return this.streams.run(
      templateStream(templateId),
      templateDecider,
      { type: 'CreateTemplate', templateId, fields },
      context,
    );
  }

  async revise(templateId: string, changes: Partial<TemplateFields>, context: CommandContext) {
    return this.streams.run(
      templateStream(templateId),
      templateDecider,
      { type: 'ReviseTemplate', templateId, changes },
      context,
    );
  }

  async markUsed(templateId: string, version: number, context: CommandContext) {
    return this.streams.run(
      templateStream(templateId),
      templateDecider,
      { type: 'UseTemplateVersion', templateId, version },
      context,
    );
  }

  /** The template's current state; a 422 with `code` when there is none (a reference to it is the client's mistake). */
  async get(templateId: string, code = 'unknown-template'): Promise<LoadedTemplate> {
    const { state } = await this.streams.load(templateStream(templateId), templateDecider);
    if (!state.exists)
      throw new RuleViolationError(`template ${templateId} does not exist`, code, { templateId });
    return state;
  }

  /** By id or slug. */
  async resolve(idOrSlug: string): Promise<LoadedTemplate> {
    if (UUID.test(idOrSlug)) return this.get(idOrSlug.toLowerCase());
    const [reservation] = await this.streams.store.readStream(slugStream(idOrSlug), {
      maxCount: 1,
    });
    if (!reservation)
      throw new RuleViolationError(`template ${idOrSlug} does not exist`, 'unknown-template', {
        template: idOrSlug,
      });
    return this.get(String(reservation.data.templateId));
  }

  async exists(templateId: string): Promise<boolean> {
    const { state } = await this.streams.load(templateStream(templateId), templateDecider);
    return state.exists;
  }

  private async reserveSlug(
    slug: string,
    templateId: string,
    context: CommandContext,
  ): Promise<void> {
    try {
      await this.streams.store.appendToStream(
        slugStream(slug),
        [
          toNewEvent(
            { type: 'TemplateSlugReserved' as const, data: { slug, templateId } },
            context,
            {
              schemaVersionOf: messagingSchemaVersionOf,
            },
          ),
        ],
        { expectedRevision: 'no_stream' },
      );
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      const [held] = await this.streams.store.readStream(slugStream(slug), { maxCount: 1 });
      // A retried create of the same template holds the slug already.
      if (held?.data.templateId !== templateId) {
        throw new ConflictError(`slug ${slug} is taken`, 'slug-taken', {
          field: 'slug',
          id: held?.data.templateId,
        });
      }
    }
  }
}

export { NotFoundError };
