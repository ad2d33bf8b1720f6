// /integrations/<provider>: connect, read (no secrets), update settings,
// replace credentials, pause, resume, disconnect, and the sync status view.
// One integration per provider (the seed's UNIQUE provider), so the path
// names the provider, not an id. The gateway routes
// /api/integrations/<provider>/** here (admin scope).
import { Body, Controller, Get, HttpCode, Patch, Post, Put, Req, type Type } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScopes } from '@engagement/service-auth';
import { randomUUID } from 'node:crypto';
import type { CommandContext } from '@engagement/decider';
import type { JsonObject } from '@engagement/event-store';
import { problem, ProblemError, requestContext } from '@engagement/http';
import type { Request } from 'express';
import type { IntegrationCommands } from '../integrations/integration-commands';
import { ConnectIntegrationDto, ReplaceCredentialsDto, UpdateIntegrationDto } from './integration.dto';
import type { IntegrationViews } from './integration-views';

export interface IntegrationsApi {
  commands: IntegrationCommands;
  views: IntegrationViews;
  /** How far the connector's consumer is behind its topics (messages), per topic. */
  consumerLag(): Promise<Record<string, number | null>>;
  /** Called after anything that changes what the pusher should do (credentials, status). */
  changed(): void;
  /** Waits until the read model shows the command's effect (read-your-writes), bounded. */
  caughtUp(position: bigint | null): Promise<void>;
}

function contextOf(request: Request): CommandContext {
  const { actor, correlationId, traceparent } = requestContext(request);
  return { now: new Date(), actor, correlationId: correlationId ?? randomUUID(), causationId: null, traceparent };
}

function notConnected(provider: string): ProblemError {
  return new ProblemError(
    problem(404, 'integration-not-found', `No ${provider} integration is connected`),
  );
}

/** The controller class for one provider (its path is the provider's). */
export function integrationsController(provider: string, api: IntegrationsApi): Type<unknown> {
  @ApiTags(`integrations: ${provider}`)
  @ApiBearerAuth()
  // Credentials and CRM access: administrators only, reads included.
  @RequireScopes('admin')
  @Controller(`integrations/${provider}`)
  class IntegrationsController {
    private async view() {
      const view = await api.views.integration();
      if (!view) throw notConnected(provider);
      return view;
    }

    private async done(result: { position: bigint | null }) {
      api.changed();
      await api.caughtUp(result.position);
      return this.view();
    }

    @Post()
    @HttpCode(201)
    @ApiOperation({ summary: `Connect ${provider} (credentials are encrypted at rest and never returned)` })
    async connect(@Body() body: ConnectIntegrationDto, @Req() request: Request) {
      if (body.provider !== provider) {
        throw new ProblemError(
          problem(
            422,
            'wrong-provider',
            `This endpoint connects ${provider}; got provider "${body.provider}"`,
          ),
        );
      }
      const result = await api.commands.connect(
        {
          displayName: body.displayName,
          description: body.description ?? null,
          providerType: body.providerType,
          authType: body.authType,
          credentials: body.credentials,
          config: (body.config ?? {}) as JsonObject,
          fieldMappings: (body.fieldMappings ?? {}) as JsonObject,
          capabilities: (body.capabilities ?? {}) as JsonObject,
          webhookUrl: body.webhookUrl ?? null,
          webhookSecret: body.webhookSecret ?? null,
        },
        contextOf(request),
      );
      return this.done(result);
    }

    @Get()
    @ApiOperation({ summary: `The ${provider} integration, without secrets` })
    get() {
      return this.view();
    }

    @Patch()
    @ApiOperation({ summary: 'Update display name, config, field mappings, capabilities or webhook URL' })
    async update(@Body() body: UpdateIntegrationDto, @Req() request: Request) {
      return this.done(await api.commands.run(
          {
            type: 'UpdateIntegrationConfig',
            displayName: body.displayName,
            description: body.description,
            config: body.config as JsonObject | undefined,
            fieldMappings: body.fieldMappings as JsonObject | undefined,
            capabilities: body.capabilities as JsonObject | undefined,
            webhookUrl: body.webhookUrl,
          },
          contextOf(request),
        ));
    }

    @Put('credentials')
    @ApiOperation({ summary: 'Replace the credentials (encrypted at rest, never returned)' })
    async credentials(@Body() body: ReplaceCredentialsDto, @Req() request: Request) {
      return this.done(await api.commands.replaceCredentials(body.credentials, 'updated', contextOf(request)));
    }

    @Post('pause')
    @HttpCode(200)
    async pause(@Req() request: Request) {
      return this.done(await api.commands.run({ type: 'PauseIntegration' }, contextOf(request)));
    }

    @Post('resume')
    @HttpCode(200)
    async resume(@Req() request: Request) {
      return this.done(await api.commands.run({ type: 'ResumeIntegration' }, contextOf(request)));
    }

    @Post('disconnect')
    @HttpCode(200)
    async disconnect(@Req() request: Request) {
      return this.done(await api.commands.run({ type: 'DisconnectIntegration' }, contextOf(request)));
    }

    @Get('sync-status')
    @ApiOperation({ summary: 'Counts by status (last hour, last day), last errors, backlog and consumer lag' })
    async syncStatus() {
      const view = await this.view();
      return {
        integrationId: view.id,
        provider,
        status: view.status,
        lastSyncAt: view.lastSyncAt,
        lastError: view.lastError,
        ...(await api.views.syncStatus(view.id)),
        consumerLag: await api.consumerLag(),
      };
    }
  }
  return IntegrationsController;
}
