// /registrations: the seed's POST /api/registrations (201 with the new
// registration, 200 with the existing one when the contact is registered
// already), read one, list them by contact, event and status, cancel,
// confirm, record attendance.
import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { NotFoundError } from '@engagement/decider';
import type { JsonObject } from '@engagement/event-store';
import {
  commandContext,
  commandResponse,
  IdPipe,
  ReadModelWaiter,
  ReadQuery,
} from '@engagement/service-runtime';
import type { Request, Response } from 'express';
import { pageLimit } from '../events/events.controller';
import { EventsQueries } from '../read-model/events.queries';
import { EventsStreams } from '../shared/events-streams';
import {
  AttendanceDto,
  ListRegistrationsQuery,
  RegisterDto,
  RegistrationResponse,
} from './registration.dto';
import { ReasonDto } from '../events/event.dto';
import { RegistrationsHandler } from './registrations.handler';

@ApiTags('registrations')
@ApiResponse({ status: 422, description: 'Invalid input (problem+json with the fields at fault)' })
@Controller('registrations')
export class RegistrationsController {
  constructor(
    private readonly registrations: RegistrationsHandler,
    private readonly streams: EventsStreams,
    private readonly queries: EventsQueries,
    private readonly waiter: ReadModelWaiter,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Register an email for an event (the contact is created or found)' })
  @ApiResponse({ status: 201, type: RegistrationResponse, description: 'Registered or waitlisted' })
  @ApiResponse({ status: 200, type: RegistrationResponse, description: 'Already registered' })
  @ApiResponse({ status: 404, description: 'No such event' })
  @ApiResponse({
    status: 409,
    description: 'The event takes no registrations (details.currentStatus)',
  })
  async register(
    @Body() body: RegisterDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<RegistrationResponse> {
    const outcome = await this.registrations.register(
      {
        email: body.email,
        firstName: body.firstName,
        lastName: body.lastName,
        phone: body.phone,
        eventId: body.eventId.toLowerCase(),
        formData: (body.formData ?? {}) as JsonObject,
        utmParams: (body.utmParams ?? null) as JsonObject | null,
        registrationSource: body.registrationSource ?? 'api',
        sourceUrl: body.sourceUrl ?? null,
      },
      commandContext(request),
    );
    response.status(outcome.created ? 201 : 200);
    return {
      id: outcome.id,
      contactId: outcome.contactId,
      eventId: outcome.eventId,
      status: outcome.status,
      position: outcome.position === null ? null : outcome.position.toString(),
      revision: Number(outcome.revision),
    };
  }

  @Get()
  @ApiOperation({
    summary: 'Registrations of a contact (?contactId=) or an event (?eventId=), by status',
  })
  async list(@Query() query: ListRegistrationsQuery) {
    await this.waiter.waitFor(query.waitForPosition);
    return this.queries.registrations({
      eventId: query.eventId?.toLowerCase(),
      contactId: query.contactId?.toLowerCase(),
      status: query.status,
      limit: query.limit === undefined ? undefined : pageLimit(query.limit),
      cursor: query.cursor,
    });
  }

  @Get(':id')
  @ApiOperation({ summary: 'One registration' })
  @ApiResponse({ status: 404, description: 'No such registration' })
  async get(@Param('id', IdPipe) id: string, @Query() query: ReadQuery) {
    await this.waiter.waitFor(query.waitForPosition);
    const registration = await this.queries.registration(id);
    if (!registration)
      throw new NotFoundError(`No registration has the id ${id}`, 'registration-not-found');
    return registration;
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel; a freed seat goes to the oldest waitlisted registration' })
  async cancel(@Param('id', IdPipe) id: string, @Body() body: ReasonDto, @Req() request: Request) {
    const result = await this.registrations.cancel(
      id,
      body?.reason ?? null,
      commandContext(request),
    );
    return {
      ...commandResponse(id, result.position, result.revision),
      status: result.state.status,
    };
  }

  @Post(':id/confirm')
  @HttpCode(200)
  @ApiOperation({ summary: 'registered → confirmed' })
  async confirm(@Param('id', IdPipe) id: string, @Req() request: Request) {
    const result = await this.streams.registration(
      id,
      { type: 'Confirm', registrationId: id },
      commandContext(request),
    );
    return {
      ...commandResponse(id, result.position, result.revision),
      status: result.state.status,
    };
  }

  @Post(':id/attendance')
  @HttpCode(200)
  @ApiOperation({ summary: 'Record attendance (attended_at, duration, engagement score 0-100)' })
  async attendance(
    @Param('id', IdPipe) id: string,
    @Body() body: AttendanceDto,
    @Req() request: Request,
  ) {
    const state = await this.streams.registrationState(id);
    if (!state.exists)
      throw new NotFoundError(`No registration has the id ${id}`, 'registration-not-found');
    const event = await this.streams.eventState(state.eventId);
    const result = await this.streams.registration(
      id,
      {
        type: 'RecordAttendance',
        registrationId: id,
        eventTitle: event.details?.title ?? '',
        attendedAt: new Date(body.attendedAt).toISOString(),
        durationMinutes: body.durationMinutes ?? null,
        engagementScore: body.engagementScore ?? null,
      },
      commandContext(request),
    );
    return {
      ...commandResponse(id, result.position, result.revision),
      status: result.state.status,
    };
  }
}
