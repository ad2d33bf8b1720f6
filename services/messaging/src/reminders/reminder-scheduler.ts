// The durable reminder scheduler: claims due reminders with FOR UPDATE
// SKIP LOCKED and a lease (two instances never take the same row; a row
// whose instance died, even by kill -9, comes back when its lease ends),
// and requests one transactional message per channel the contact can be
// reached on. Message ids derive from (registration, reminder type,
// channel), so a reminder requested again after a crash is the same
// message: never a second one. The send queue does the sending; the sent
// message carries ReminderSent to topic `messaging` for the events service.
import { DomainError, RuleViolationError } from '@engagement/decider';
import type { JsonObject } from '@engagement/event-store';
import { quoteIdent } from '@engagement/projections';
import { systemContext } from '@engagement/service-runtime';
import type { Pool } from 'pg';
import type { RecipientDirectory } from '../contacts-replica/recipient-directory';
import type { MessageRequester } from '../messages/request-message';
import { derivedId } from '../shared/messaging-streams';
import type { TemplatesHandler } from '../templates/templates.handler';
import type { TemplateFields } from '@engagement/contracts';

export const REMINDER_TEMPLATE_SLUG = 'event-reminder';

/** The reminder template `npm start` begins with; operators revise it like any other. */
export const DEFAULT_REMINDER_TEMPLATE: TemplateFields = {
  slug: REMINDER_TEMPLATE_SLUG,
  name: 'Event reminder',
  description: 'Sent before an event to each registrant (MESSAGING_REMINDER_OFFSETS)',
  channel: 'email',
  subjectTemplate: 'Reminder: {{ event.title }} starts in {{ reminder.before }}',
  preheaderTemplate: null,
  contentSource: 'manual',
  contentApiUrl: null,
  cachedContentHtml:
    '<p>Hi {{ contact.first_name | default: "there" }},</p><p><strong>{{ event.title }}</strong> starts at {{ event.scheduled_at }} ({{ event.timezone }}).</p>{% if registration.join_url %}<p><a href="{{ registration.join_url }}">Join</a></p>{% endif %}',
  cachedContentText:
    'Hi {{ contact.first_name | default: "there" }}, {{ event.title }} starts at {{ event.scheduled_at }} ({{ event.timezone }}).{% if registration.join_url %} Join: {{ registration.join_url }}{% endif %}',
  variables: { reminder: { type: 'object' } },
  requiredVariables: null,
  generationPrompt: null,
  brandContext: null,
  isVariant: false,
  parentTemplateId: null,
  variantName: null,
  syncToCrm: false,
  crmTemplateMappings: null,
  isActive: true,
};

/** Creates the default reminder template once (the same id everywhere, so concurrent starts agree). */
export async function ensureReminderTemplate(templates: TemplatesHandler): Promise<void> {
  const id = derivedId(`template:${REMINDER_TEMPLATE_SLUG}`);
  if (await templates.exists(id)) return;
  try {
    await templates.create(
      DEFAULT_REMINDER_TEMPLATE,
      systemContext('messaging', 'reminder-template'),
      id,
    );
  } catch (error) {
    // An operator's own event-reminder template holds the slug: it is used instead.
    if (!(error instanceof DomainError)) throw error;
  }
}

type DueRow = {
  registration_id: string;
  reminder_type: string;
  event_id: string;
  contact_id: string;
  title: string | null;
  scheduled_at: Date;
  timezone: string | null;
  platform_url: string | null;
  join_url: string | null;
  status: string;
};

export type ReminderSchedulerOptions = {
  pool: Pool;
  schema: string;
  requester: MessageRequester;
  recipients: RecipientDirectory;
  leaseMs: number;
  pollMs: number;
  batchSize: number;
  clock?: () => Date;
  /** After messages were requested (wakes the send worker). */
  onRequested?: () => void;
  log: (message: string, fields?: Record<string, unknown>) => void;
};

export class ReminderScheduler {
  private stopped = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly clock: () => Date;

  constructor(private readonly options: ReminderSchedulerOptions) {
    this.clock = options.clock ?? (() => new Date());
  }

  start(): void {
    this.running = this.loop();
  }

  poke(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  /** Handles every reminder due now; returns how many it requested. */
  async runDue(): Promise<number> {
    let requested = 0;
    for (;;) {
      const due = await this.claim();
      if (due.length === 0) return requested;
      for (const row of due) {
        if (this.stopped) return requested;
        try {
          if (await this.remind(row)) requested++;
        } catch (error) {
          this.options.log('reminder failed; trying again shortly', {
            registrationId: row.registration_id,
            error: (error as Error).message,
          });
          await this.options.pool
            .query(
              `UPDATE ${quoteIdent(this.options.schema)}.due_reminders SET claimed_until = $3 WHERE registration_id = $1 AND reminder_type = $2`,
              [row.registration_id, row.reminder_type, new Date(this.clock().getTime() + 2_000)],
            )
            .catch(() => undefined);
        }
      }
      this.options.onRequested?.();
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.runDue();
      } catch (error) {
        this.options.log('reminder scheduler failed; retrying', {
          error: (error as Error).message,
        });
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.pollMs);
        this.wake = () => (clearTimeout(timer), resolve());
      });
    }
  }

  private async claim(): Promise<DueRow[]> {
    const s = quoteIdent(this.options.schema);
    const now = this.clock();
    const { rows } = await this.options.pool.query<DueRow>(
      `WITH claimed AS (
         UPDATE ${s}.due_reminders d SET claimed_until = $2
          WHERE (registration_id, reminder_type) IN (
            SELECT registration_id, reminder_type FROM ${s}.due_reminders
             WHERE state = 'pending' AND due_at <= $1 AND (claimed_until IS NULL OR claimed_until < $1)
             ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED)
          RETURNING d.*)
       SELECT c.registration_id, c.reminder_type, c.event_id, c.contact_id, e.title, e.scheduled_at, e.timezone,
              e.platform_url, r.join_url, r.status
         FROM claimed c
         JOIN ${s}.reminder_events e ON e.event_id = c.event_id
         JOIN ${s}.reminder_registrations r ON r.registration_id = c.registration_id`,
      [now, new Date(now.getTime() + this.options.leaseMs), this.options.batchSize],
    );
    return rows;
  }

  /** Requests the reminder on each channel; marks it requested. False when it must wait (lease ends, then again). */
  private async remind(row: DueRow): Promise<boolean> {
    const recipient = await this.options.recipients.find(row.contact_id);
    if (!recipient) return false; // the contact has not reached messaging's replica yet
    const channels = ['email'];
    // SMS only where the contact said yes to it, and has a number.
    if (recipient.facts.consent.sms === true && recipient.phone) channels.push('sms');
    const context = systemContext('messaging:reminders', row.registration_id);
    context.now = this.clock();
    const extra: JsonObject = {
      event: {
        id: row.event_id,
        title: row.title,
        scheduled_at: row.scheduled_at.toISOString(),
        timezone: row.timezone,
        platform_url: row.platform_url,
      },
      registration: {
        id: row.registration_id,
        status: row.status,
        join_url: row.join_url ?? row.platform_url,
      },
      reminder: { type: row.reminder_type, before: row.reminder_type },
    };
    for (const channel of channels) {
      try {
        await this.options.requester.request(
          {
            messageId: derivedId(`reminder:${row.registration_id}:${row.reminder_type}:${channel}`),
            template:
              channel === 'email' ? REMINDER_TEMPLATE_SLUG : `${REMINDER_TEMPLATE_SLUG}-${channel}`,
            contactId: row.contact_id,
            variables: {},
            extraContext: extra,
            kind: 'transactional',
            registrationId: row.registration_id,
            eventId: row.event_id,
            reminderType: row.reminder_type,
          },
          context,
          { recipient },
        );
      } catch (error) {
        // No SMS reminder template: the email reminder is enough.
        if (error instanceof RuleViolationError && channel !== 'email') continue;
        throw error;
      }
    }
    await this.options.pool.query(
      `UPDATE ${quoteIdent(this.options.schema)}.due_reminders SET state = 'requested', requested_at = $3, claimed_until = NULL
        WHERE registration_id = $1 AND reminder_type = $2`,
      [row.registration_id, row.reminder_type, context.now],
    );
    return true;
  }
}
