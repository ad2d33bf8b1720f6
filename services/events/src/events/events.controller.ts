// /events: create, update and move an event through its lifecycle
// (POST /events/:id/<action>), read one, list them (status, type, platform,
// date range; cursor pages), and list an event's registrations. Commands
// answer { id, position, revision, status }; GETs accept ?waitForPosition=.
import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  derivedId,
  NotFoundError,
  RuleViolationError,
  type CommandContext,
} from '@engagement/decider';
import type { EventDetails } from '@engagement/contracts';
import type { JsonObject } from '@engagement/event-store';
import {
  commandContext,
  IdPipe,
  ReadModelWaiter,
  type CommandResponse,
} from '@engagement/service-runtime';
import type { Request } from 'express';
import { ListRegistrationsQuery } from '../registrations/registration.dto';
import { EventsQueries } from '../read-model/events.queries';
import type { EventCommand } from './event.decider';
import {
  CreateEventDto,
  ListEventsQuery,
  ReasonDto,
  RescheduleEventDto,
  UpdateEventDto,
} from './event.dto';
import { EventsHandler } from './events.handler';

const canonical = (iso: string) => new Date(iso).toISOString();

function details(body: CreateEventDto): EventDetails {
  return {
    title: body.title.trim(),
    description: body.description ?? null,
    type: body.type,
    platform: body.platform,
    platformEventId: body.platformEventId ?? null,
    platformUrl: body.platformUrl ?? null,
    platformMetadata: (body.platformMetadata ?? null) as JsonObject | null,
    scheduledAt: canonical(body.scheduledAt),
    timezone: body.timezone ?? 'America/Los_Angeles',
    durationMinutes: body.durationMinutes ?? 60,
    landingPageSlug: body.landingPageSlug ?? null,
    coverImageUrl: body.coverImageUrl ?? null,
    replayUrl: body.replayUrl ?? null,
    resourcesUrl: body.resourcesUrl ?? null,
    maxRegistrations: body.maxRegistrations ?? null,
    contentContext: (body.contentContext ?? null) as JsonObject | null,
  };
}

type Action = Exclude<
  EventCommand['type'],
  'CreateEvent' | 'UpdateEvent' | 'RescheduleEvent' | 'LinkPlatform'
>;

@ApiTags('events')
@ApiResponse({ status: 422, description: 'Invalid input (problem+json with the fields at fault)' })
@Controller('events')
export class EventsController {
  constructor(
    private readonly events: EventsHandler,
    private readonly queries: EventsQueries,
    private readonly waiter: ReadModelWaiter,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create an event (status draft)' })
  @ApiResponse({ status: 201, description: '{ id, position, revision, status }' })
  async create(@Body() body: CreateEventDto, @Req() request: Request) {
    const context = commandContext(request);
    // Under an Idempotency-Key a retry names the same event, and gets the first result.
    const eventId = derivedId(context, 'event');
    const result = await this.events.execute(
      { type: 'CreateEvent', eventId, details: details(body) },
      context,
    );
    return answer(eventId, result);
  }

  @Patch(':id')
  @ApiOperation({ summary: "Change an event's details (not its time: reschedule)" })
  @ApiResponse({ status: 409, description: 'The event is completed or cancelled' })
  async update(
    @Param('id', IdPipe) id: string,
    @Body() body: UpdateEventDto,
    @Req() request: Request,
  ) {
    const changes = Object.fromEntries(
      Object.entries(body).filter(([, value]) => value !== undefined),
    ) as Extract<EventCommand, { type: 'UpdateEvent' }>['changes'];
    const result = await this.events.execute(
      { type: 'UpdateEvent', eventId: id, changes },
      commandContext(request),
    );
    return answer(id, result);
  }

  @Post(':id/reschedule')
  @HttpCode(200)
  @ApiOperation({ summary: 'Move the event (a postponed event is scheduled again)' })
  async reschedule(
    @Param('id', IdPipe) id: string,
    @Body() body: RescheduleEventDto,
    @Req() request: Request,
  ) {
    const result = await this.events.execute(
      {
        type: 'RescheduleEvent',
        eventId: id,
        scheduledAt: canonical(body.scheduledAt),
        timezone: body.timezone,
        durationMinutes: body.durationMinutes,
      },
      commandContext(request),
    );
    return answer(id, result);
  }

  @Post(':id/schedule')
  @HttpCode(200)
  @ApiOperation({ summary: 'draft → scheduled' })
  @ApiResponse({ status: 409, description: 'Not a valid transition: details.currentStatus' })
  schedule(@Param('id', IdPipe) id: string, @Req() request: Request) {
    return this.transition('ScheduleEvent', id, commandContext(request));
  }

  @Post(':id/open-registration')
  @HttpCode(200)
  @ApiOperation({ summary: 'scheduled → registration_open' })
  openRegistration(@Param('id', IdPipe) id: string, @Req() request: Request) {
    return this.transition('OpenRegistration', id, commandContext(request));
  }

  @Post(':id/close-registration')
  @HttpCode(200)
  @ApiOperation({ summary: 'registration_open → registration_closed' })
  closeRegistration(@Param('id', IdPipe) id: string, @Req() request: Request) {
    return this.transition('CloseRegistration', id, commandContext(request));
  }

  @Post(':id/start')
  @HttpCode(200)
  @ApiOperation({ summary: 'registration_closed → live' })
  start(@Param('id', IdPipe) id: string, @Req() request: Request) {
    return this.transition('StartEvent', id, commandContext(request));
  }

  @Post(':id/complete')
  @HttpCode(200)
  @ApiOperation({ summary: 'live → completed (registrations without attendance become no_show)' })
  complete(@Param('id', IdPipe) id: string, @Req() request: Request) {
    return this.transition('CompleteEvent', id, commandContext(request));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Any state before completed → cancelled' })
  cancel(@Param('id', IdPipe) id: string, @Body() body: ReasonDto, @Req() request: Request) {
    return this.transition('CancelEvent', id, commandContext(request), body?.reason ?? null);
  }

  @Post(':id/postpone')
  @HttpCode(200)
  @ApiOperation({ summary: 'Any state before completed → postponed (reschedule to go on)' })
  postpone(@Param('id', IdPipe) id: string, @Body() body: ReasonDto, @Req() request: Request) {
    return this.transition('PostponeEvent', id, commandContext(request), body?.reason ?? null);
  }

  @Get()
  @ApiOperation({ summary: 'Events by scheduled time, filtered; cursor pages' })
  async list(@Query() query: ListEventsQuery) {
    await this.waiter.waitFor(query.waitForPosition);
    return this.queries.events({
      status: query.status,
      type: query.type,
      platform: query.platform,
      from: query.from,
      to: query.to,
      limit: query.limit === undefined ? undefined : pageLimit(query.limit),
      cursor: query.cursor,
    });
  }

  @Get(':id')
  @ApiOperation({ summary: 'One event' })
  @ApiResponse({ status: 404, description: 'No such event' })
  async get(@Param('id', IdPipe) id: string, @Query() query: ListEventsQuery) {
    await this.waiter.waitFor(query.waitForPosition);
    const event = await this.queries.event(id);
    if (!event) throw new NotFoundError(`No event has the id ${id}`, 'event-not-found');
    return event;
  }

  @Get(':id/registrations')
  @ApiOperation({ summary: "An event's registrations, by status; cursor pages" })
  async registrations(@Param('id', IdPipe) id: string, @Query() query: ListRegistrationsQuery) {
    await this.waiter.waitFor(query.waitForPosition);
    if (!(await this.queries.event(id)))
      throw new NotFoundError(`No event has the id ${id}`, 'event-not-found');
    return this.queries.registrations({
      eventId: id,
      status: query.status,
      limit: query.limit === undefined ? undefined : pageLimit(query.limit),
      cursor: query.cursor,
    });
  }

  private async transition(
    type: Action,
    eventId: string,
    context: CommandContext,
    reason: string | null = null,
  ) {
    const command = (
      type === 'CancelEvent' || type === 'PostponeEvent'
        ? { type, eventId, reason }
        : { type, eventId }
    ) as EventCommand;
    return answer(eventId, await this.events.execute(command, context));
  }
}

export function pageLimit(limit: string): number {
  const n = Number(limit);
  if (n < 1 || n > 200) {
    throw new RuleViolationError('limit must be a number from 1 to 200', 'invalid-limit', {
      field: 'limit',
    });
  }
  return n;
}

function answer(
  id: string,
  result: { position: bigint | null; revision: bigint; state: { status: string } },
): CommandResponse & { status: string } {
  return {
    id,
    position: result.position === null ? null : result.position.toString(),
    revision: Number(result.revision),
    status: result.state.status,
  };
}
