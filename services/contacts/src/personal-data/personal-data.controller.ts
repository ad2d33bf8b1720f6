// GDPR endpoints: export everything held about a contact, and erase it;
// and the contact's data keys, for services entitled to its personal data
// (messaging, connectors: @engagement/personal-data), one contact's or many
// at once, each hand-out recorded (who asked for which contact, when). Each needs a scope of its own, checked
// here whatever the gateway checked: pii:read to read, pii:erase to erase.
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { NotFoundError } from '@engagement/decider';
import { toWireEvent, type EventStore, type RecordedEvent } from '@engagement/event-store';
import { problem, ProblemError } from '@engagement/http';
import { callerOf, RequireScopes } from '@engagement/service-auth';
import type { Request } from 'express';
import { exportContactReadModel, type ReadModelSource } from '../read-model';
import { commandContext } from '../shared/command-context';
import { commandResponse, CommandResponse } from '../shared/command-response';
import { contactStreamId } from '../shared/contact-streams';
import { IdPipe } from '../shared/params';
import { ReadModelWaiter, ReadQuery } from '../shared/read-your-writes';
import { CONTACT_EVENT_STORE, READ_MODEL_SOURCE } from '../shared/tokens';
import { EraseContactHandler } from './erase-contact.handler';
import { DataKeyStore } from './data-keys';
import { DataKeysAnswer, DataKeysRequest } from './data-keys.dto';

@ApiTags('personal data')
@Controller('contacts')
export class PersonalDataController {
  constructor(
    private readonly eraseContact: EraseContactHandler,
    @Inject(READ_MODEL_SOURCE) private readonly readModel: ReadModelSource,
    @Inject(CONTACT_EVENT_STORE) private readonly store: EventStore,
    private readonly waiter: ReadModelWaiter,
    private readonly keys: DataKeyStore,
  ) {}

  @Post(':id/erase')
  @RequireScopes('pii:erase')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Erase the contact (admin): its personal data becomes unreadable everywhere',
  })
  @ApiResponse({ status: 200, type: CommandResponse })
  async erase(@Param('id', IdPipe) id: string, @Req() request: Request): Promise<CommandResponse> {
    const result = await this.eraseContact.execute(id, commandContext(request));
    return commandResponse(id, result.position, result.revision);
  }

  @Get(':id/export')
  @RequireScopes('pii:read')
  @ApiOperation({
    summary: 'Everything held about the contact: read model rows and its decrypted event history',
  })
  @ApiResponse({ status: 404, description: 'No such contact, or it was erased' })
  async export(@Param('id', IdPipe) id: string, @Query() query: ReadQuery) {
    await this.waiter.waitFor(query.waitForPosition);
    const readModel = await exportContactReadModel(this.readModel, id);
    const history = await this.readHistory(id);
    if (readModel === null || history.length === 0) {
      throw new NotFoundError(`Contact ${id} does not exist or was erased`, 'contact-not-found', {
        contactId: id,
      });
    }
    return {
      contactId: id,
      exportedAt: new Date().toISOString(),
      readModel,
      history: history.map(toWireEvent),
    };
  }

  @Post('data-keys')
  @RequireScopes('pii:read')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'The data keys of many contacts at once (a campaign page), each hand-out audited as GET :id/data-keys',
  })
  @ApiResponse({ status: 200, type: DataKeysAnswer })
  async manyDataKeys(
    @Body() body: DataKeysRequest,
    @Req() request: Request,
  ): Promise<DataKeysAnswer> {
    const caller = callerOf(request);
    const handedOut = await this.keys.handOutMany(body.contactIds, {
      caller: caller.subject,
      requestId: caller.requestId,
    });
    return {
      items: [...handedOut].map(([contactId, keys]) =>
        keys.state === 'active'
          ? { contactId, state: 'active', keys: keys.keys, currentKeyId: keys.currentKeyId }
          : { contactId, state: keys.state === 'destroyed' ? 'erased' : 'none' },
      ),
    };
  }

  @Get(':id/data-keys')
  @RequireScopes('pii:read')
  @ApiOperation({
    summary:
      "The contact's data keys, for a service entitled to its personal data (audited); 410 once erased",
  })
  @ApiResponse({ status: 410, description: 'contact-erased: the keys were destroyed' })
  async dataKeys(@Param('id', IdPipe) id: string, @Req() request: Request) {
    const caller = callerOf(request);
    const keys = await this.keys.handOut(id, {
      caller: caller.subject,
      requestId: caller.requestId,
    });
    if (keys.state === 'destroyed') {
      throw new ProblemError(
        problem(410, 'contact-erased', `Contact ${id} was erased`, { contactId: id }),
      );
    }
    if (keys.state === 'none') {
      throw new NotFoundError(`Contact ${id} has no personal data`, 'contact-not-found', {
        contactId: id,
      });
    }
    return { contactId: id, keys: keys.keys, currentKeyId: keys.currentKeyId };
  }

  private async readHistory(contactId: string): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    for (;;) {
      const page = await this.store.readStream(contactStreamId(contactId), {
        fromRevision: BigInt(events.length),
        maxCount: 1_000,
      });
      events.push(...page);
      if (page.length < 1_000) return events;
    }
  }
}
