// Recording an activity on a contact's timeline (POST /activities, and
// later the consumers of other services' topics): the lead scoring rules
// configured now say what it is worth, and the decider records the activity
// with its points and moves the contact's score by them, in one append. The
// score is therefore the sum of the points of the contact's activities.
import type { ActivitySource, ActivityType } from '@engagement/contracts';
import { derivedId, type CommandContext } from '@engagement/decider';
import type { JsonObject } from '@engagement/event-store';
import { activityPoints, canonicalTimestamp, type LeadScoringRules } from '../domain';
import type { ContactResult, ContactStreams } from '../shared/contact-streams';

export interface RecordActivityRequest {
  contactId: string;
  activityId?: string;
  activityType: ActivityType;
  activityData: JsonObject;
  occurredAt?: string;
  relatedToType?: string;
  relatedToId?: string;
  source: ActivitySource;
  syncToCrms?: string[];
}

export class RecordActivityHandler {
  constructor(
    private readonly contacts: ContactStreams,
    private readonly rules: LeadScoringRules,
  ) {}

  async execute(
    request: RecordActivityRequest,
    context: CommandContext,
  ): Promise<{ activityId: string; result: ContactResult }> {
    // Under an Idempotency-Key a retry names the same activity (and finds it recorded).
    const activityId = (request.activityId ?? derivedId(context, 'activity')).toLowerCase();
    // Points decay from when the activity happened; an unreadable time is the decider's to refuse.
    const occurredAt =
      (request.occurredAt && canonicalTimestamp(request.occurredAt)) || context.now.toISOString();
    const points = activityPoints(
      this.rules,
      { activityType: request.activityType, occurredAt },
      context.now,
    );
    const result = await this.contacts.run(
      request.contactId,
      [
        {
          type: 'RecordActivity',
          contactId: request.contactId,
          activityId,
          activityType: request.activityType,
          activityData: request.activityData,
          relatedToType: request.relatedToType,
          relatedToId: request.relatedToId,
          source: request.source,
          occurredAt: request.occurredAt,
          points,
          syncToCrms: request.syncToCrms,
        },
      ],
      context,
    );
    return { activityId, result };
  }
}
