// POST /activities: the seed's "Track Activity" (the gateway serves it as
// /api/activities). The activity goes on its contact's stream, scored by the
// configured lead scoring rules. The timeline is read at
// GET /contacts/:id/activities.
import { Body, Controller, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { commandContext } from '../shared/command-context';
import { commandResponse, CommandResponse } from '../shared/command-response';
import { RecordActivityDto } from './activity.dto';
import { RecordActivityHandler } from './record-activity.handler';

@ApiTags('activities')
@Controller('activities')
export class ActivitiesController {
  constructor(private readonly recordActivity: RecordActivityHandler) {}

  @Post()
  @ApiOperation({
    summary: "Record an activity on a contact's timeline (scored by the lead scoring rules)",
  })
  @ApiResponse({ status: 201, type: CommandResponse, description: 'id is the activity id' })
  @ApiResponse({ status: 404, description: 'No such contact' })
  async record(@Body() body: RecordActivityDto, @Req() request: Request): Promise<CommandResponse> {
    const { activityId, result } = await this.recordActivity.execute(
      {
        contactId: body.contactId.toLowerCase(),
        activityId: body.activityId,
        activityType: body.activityType,
        activityData: body.activityData,
        occurredAt: body.occurredAt,
        relatedToType: body.relatedToType,
        relatedToId: body.relatedToId,
        source: body.source ?? 'api',
        syncToCrms: body.syncToCrms,
      },
      commandContext(request),
    );
    return commandResponse(activityId, result.position, result.revision);
  }
}
