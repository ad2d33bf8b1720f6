// The read endpoints of /contacts: answered from the read model (the seed's
// tables, kept by the projection; queries in read-model/), except the
// history, which is the contact's own event stream with its personal fields
// decrypted, for audits. Every one accepts ?waitForPosition= to read a
// write the caller just made; GET by id needs none for a contact just
// created (it waits for the projection when the row is missing but the
// contact's stream exists).
import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  CONTACT_STATUSES,
  LIFECYCLE_STAGES,
  ACTIVITY_TYPES,
  type ActivityType,
  type ContactStatus,
  type LifecycleStage,
} from '@engagement/contracts';
import { NotFoundError, RuleViolationError } from '@engagement/decider';
import { toWireEvent, type EventStore } from '@engagement/event-store';
import { RequireScopes } from '@engagement/service-auth';
import { IsIn, IsOptional, Matches, MaxLength } from 'class-validator';
import {
  getContact,
  listContactActivities,
  listContacts,
  listContactProperties,
  listContactTags,
  type ReadModelSource,
} from '../read-model';
import { contactStreamId } from '../shared/contact-streams';
import { IdPipe } from '../shared/params';
import { PageQuery, ReadModelWaiter, ReadQuery } from '../shared/read-your-writes';
import { CONTACT_EVENT_STORE, READ_MODEL_SOURCE } from '../shared/tokens';
import { HistoryQuery } from './contact.dto';

const SCORE = /^-?\d{1,10}$/;

export class ListContactsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: CONTACT_STATUSES, description: 'Default: every status but deleted' })
  @IsOptional()
  @IsIn(CONTACT_STATUSES)
  status?: ContactStatus;

  @ApiPropertyOptional({ enum: LIFECYCLE_STAGES })
  @IsOptional()
  @IsIn(LIFECYCLE_STAGES)
  lifecycleStage?: LifecycleStage;

  @ApiPropertyOptional({ description: 'A tag slug' })
  @IsOptional()
  @MaxLength(100)
  tag?: string;

  @ApiPropertyOptional({
    description: 'With propertyValue: contacts whose property has this value',
  })
  @IsOptional()
  @MaxLength(100)
  propertyName?: string;

  @ApiPropertyOptional({
    description: 'Compared in canonical form: numbers as 42, booleans as true',
  })
  @IsOptional()
  @MaxLength(10_000)
  propertyValue?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(SCORE, { message: 'leadScoreMin must be an integer' })
  leadScoreMin?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(SCORE, { message: 'leadScoreMax must be an integer' })
  leadScoreMax?: string;

  @ApiPropertyOptional({ description: 'ISO 8601: contacts changed at or after this time' })
  @IsOptional()
  @MaxLength(40)
  updatedSince?: string;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'asc', description: 'By last change' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';
}

export class ActivitiesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ACTIVITY_TYPES })
  @IsOptional()
  @IsIn(ACTIVITY_TYPES)
  activityType?: ActivityType;
}

function optionalNumber(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

function notFound(id: string): NotFoundError {
  return new NotFoundError(`Contact ${id} does not exist`, 'contact-not-found', { contactId: id });
}

@ApiTags('contacts')
@Controller('contacts')
export class ContactsQueryController {
  constructor(
    @Inject(READ_MODEL_SOURCE) private readonly readModel: ReadModelSource,
    @Inject(CONTACT_EVENT_STORE) private readonly store: EventStore,
    private readonly waiter: ReadModelWaiter,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List contacts: filters and cursor pagination' })
  async list(@Query() query: ListContactsQuery) {
    await this.waiter.waitFor(query.waitForPosition);
    if ((query.propertyName === undefined) !== (query.propertyValue === undefined)) {
      throw new RuleViolationError('propertyName and propertyValue go together', 'invalid-filter', {
        field: query.propertyName === undefined ? 'propertyName' : 'propertyValue',
      });
    }
    return listContacts(
      this.readModel,
      {
        status: query.status,
        lifecycleStage: query.lifecycleStage,
        tag: query.tag,
        property:
          query.propertyName === undefined
            ? undefined
            : { name: query.propertyName, value: query.propertyValue! },
        leadScoreMin: optionalNumber(query.leadScoreMin),
        leadScoreMax: optionalNumber(query.leadScoreMax),
        updatedSince: query.updatedSince,
      },
      { limit: optionalNumber(query.limit), cursor: query.cursor, order: query.order },
    );
  }

  @Get(':id')
  @ApiOperation({ summary: 'One contact with its properties and tags' })
  @ApiResponse({ status: 404, description: 'No such contact (or it was erased)' })
  async get(@Param('id', IdPipe) id: string, @Query() query: ReadQuery) {
    await this.waiter.waitFor(query.waitForPosition);
    const contact = await getContact(this.readModel, id);
    if (contact) return contact;
    // Read your own writes without ?waitForPosition: a contact just created
    // has its stream before the read model has its row. Only a miss pays for
    // this look at the stream, so reads that find their row cost nothing
    // more; a stream that exists means "wait for the projection to reach
    // its last event", then read again.
    const events = await this.store.readStream(contactStreamId(id));
    if (events.length === 0) throw notFound(id);
    await this.waiter.waitFor(String(events[events.length - 1].globalPosition));
    const caughtUp = await getContact(this.readModel, id);
    if (!caughtUp) throw notFound(id);
    return caughtUp;
  }

  @Get(':id/properties')
  @ApiOperation({
    summary: "The contact's properties in detail (type, source, CRM field mappings)",
  })
  async properties(@Param('id', IdPipe) id: string, @Query() query: ReadQuery) {
    await this.waiter.waitFor(query.waitForPosition);
    const properties = await listContactProperties(this.readModel, id);
    if (!properties) throw notFound(id);
    return { items: properties };
  }

  @Get(':id/tags')
  @ApiOperation({ summary: "The contact's tags, with when and by whom each was applied" })
  async tags(@Param('id', IdPipe) id: string, @Query() query: ReadQuery) {
    await this.waiter.waitFor(query.waitForPosition);
    const tags = await listContactTags(this.readModel, id);
    if (!tags) throw notFound(id);
    return { items: tags };
  }

  @Get(':id/activities')
  @ApiOperation({ summary: "The contact's activity timeline, newest first, paged" })
  async activities(@Param('id', IdPipe) id: string, @Query() query: ActivitiesQuery) {
    await this.waiter.waitFor(query.waitForPosition);
    const page = await listContactActivities(this.readModel, id, {
      activityType: query.activityType,
      limit: optionalNumber(query.limit),
      cursor: query.cursor,
    });
    if (!page) throw notFound(id);
    return page;
  }

  @Get(':id/history')
  @RequireScopes('pii:read')
  @ApiOperation({
    summary: "The contact's events with their metadata, personal fields decrypted (for audits)",
  })
  async history(@Param('id', IdPipe) id: string, @Query() query: HistoryQuery) {
    // The history is read from the event store itself: nothing to wait for.
    const limit = Math.min(Number(query.limit ?? 1_000), 1_000);
    if (limit < 1) {
      throw new RuleViolationError('limit must be from 1 to 1000', 'invalid-limit', {
        field: 'limit',
      });
    }
    const events = await this.store.readStream(contactStreamId(id), {
      fromRevision: BigInt(query.fromRevision ?? 0),
      maxCount: limit,
    });
    if (events.length === 0 && (query.fromRevision ?? '0') === '0') throw notFound(id);
    const last = events[events.length - 1];
    return {
      contactId: id,
      events: events.map(toWireEvent),
      nextRevision: events.length === limit ? (last.revision + 1n).toString() : null,
    };
  }
}
