// /integrations/<provider>/resync: start a reconciliation with the CRM
// (full, or incremental with `since`) and read its progress and report.
// Administrators only, as the rest of /integrations (the gateway routes
// /api/integrations/<provider>/** here with the admin scope).
import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, type Type } from '@nestjs/common';
import { ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { problem, ProblemError } from '@engagement/http';
import { RequireScopes } from '@engagement/service-auth';
import { IsISO8601, IsOptional } from 'class-validator';
import type { ResyncReport, ResyncRunner } from './resync-runner';

export class StartResyncDto {
  @ApiPropertyOptional({ description: 'Only records modified at or after this time (ISO 8601); absent: a full resync' })
  @IsOptional()
  @IsISO8601()
  since?: string;
}

export function resyncController(provider: string, runner: ResyncRunner): Type<unknown> {
  @ApiTags('integrations')
  @RequireScopes('admin')
  @Controller(`integrations/${provider}/resync`)
  class ResyncController {
    @Post()
    @HttpCode(202)
    @ApiOperation({ summary: `Start a resync with ${provider} (pages through its contacts, applies the differences)` })
    async start(@Body() body: StartResyncDto): Promise<{ runId: string }> {
      return { runId: await runner.start(body.since ?? null) };
    }

    @Get(':runId')
    @ApiOperation({ summary: 'Progress and report of a resync' })
    async report(@Param('runId', new ParseUUIDPipe()) runId: string): Promise<ResyncReport> {
      const report = await runner.report(runId);
      if (!report) {
        throw new ProblemError(problem(404, 'resync-not-found', 'No such resync run'));
      }
      return report;
    }
  }
  return ResyncController;
}
