// Content of `external_api` templates: fetched from content_api_url with a
// timeout and cached (TemplateContentFetched); when the API fails, the
// cached content is used and the fallback recorded
// (TemplateContentFallbackUsed). The API answers JSON {html, text} or a
// plain HTML/text body. Other sources use the cached content as stored.
import type { CommandContext } from '@engagement/decider';
import { toNewEvent } from '@engagement/decider';
import { messagingSchemaVersionOf, type TemplateEvent } from '@engagement/contracts';
import type { EventStore } from '@engagement/event-store';
import { templateStream } from '../shared/messaging-streams';
import type { LoadedTemplate } from './templates.handler';

export class ExternalContent {
  constructor(
    private readonly store: EventStore,
    private readonly timeoutMs = 3_000,
  ) {}

  async bodyOf(
    template: LoadedTemplate,
    context: CommandContext,
  ): Promise<{ html: string | null; text: string | null }> {
    const { fields } = template;
    const cached = { html: fields.cachedContentHtml, text: fields.cachedContentText };
    if (fields.contentSource !== 'external_api' || !fields.contentApiUrl) return cached;
    try {
      const response = await fetch(fields.contentApiUrl, {
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!response.ok) throw new Error(`content API answered ${response.status}`);
      const type = response.headers.get('content-type') ?? '';
      const fetched = type.includes('json')
        ? ((await response.json()) as { html?: string | null; text?: string | null })
        : type.includes('html')
          ? { html: await response.text(), text: cached.text }
          : { html: cached.html, text: await response.text() };
      const body = { html: fetched.html ?? null, text: fetched.text ?? null };
      if (body.html !== cached.html || body.text !== cached.text) {
        await this.append(
          template.templateId,
          {
            type: 'TemplateContentFetched',
            data: {
              templateId: template.templateId,
              ...body,
              fetchedAt: context.now.toISOString(),
            },
          },
          context,
        );
      }
      return body;
    } catch (error) {
      await this.append(
        template.templateId,
        {
          type: 'TemplateContentFallbackUsed',
          data: {
            templateId: template.templateId,
            error: (error as Error).message.slice(0, 300),
            at: context.now.toISOString(),
          },
        },
        context,
      );
      return cached;
    }
  }

  private async append(
    templateId: string,
    event: TemplateEvent,
    context: CommandContext,
  ): Promise<void> {
    // A note beside the template's history, not a decision: appended at any revision.
    await this.store.appendToStream(
      templateStream(templateId),
      [toNewEvent(event, context, { schemaVersionOf: messagingSchemaVersionOf })],
      {
        expectedRevision: 'stream_exists',
      },
    );
  }
}
