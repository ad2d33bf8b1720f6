// POST /contacts/imports: upload a JSON-lines (application/x-ndjson) or CSV
// (text/csv) file of up to 100,000 contacts, answered at once with 202 and
// a job resource; GET /contacts/imports/:id shows its progress and its row
// errors. The rows are imported in the background (import-worker.ts). The
// raw body of this route only is read up to 50 MB (see app.ts).
import { randomUUID } from 'node:crypto';
import { Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { NotFoundError } from '@engagement/decider';
import { problem, ProblemError, requestContext } from '@engagement/http';
import { IsOptional, Matches } from 'class-validator';
import type { Request, Response } from 'express';
import { IdPipe } from '../shared/params';
import { IMPORT_WORKER } from '../shared/tokens';
import { ImportJobs, type ImportJob, type RowError } from './import-jobs.table';
import { parseImport, type ImportFormat } from './import-parser';
import { ImportWorker } from './import-worker';

export const IMPORT_BODY_LIMIT = '50mb';
export const IMPORT_CONTENT_TYPES: Record<string, ImportFormat> = {
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'text/csv': 'csv',
};
const ERRORS_PER_PAGE = 1_000;

class ImportJobQuery {
  @ApiPropertyOptional({ description: 'Row errors after this row number (paging)', default: 0 })
  @IsOptional()
  @Matches(/^\d{1,6}$/, { message: 'errorsAfterRow must be a row number' })
  errorsAfterRow?: string;
}

class ImportJobView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['queued', 'running', 'completed', 'failed'] }) status!: string;
  @ApiProperty({ enum: ['ndjson', 'csv'] }) format!: string;
  @ApiProperty() total!: number;
  @ApiProperty() processed!: number;
  @ApiProperty() created!: number;
  @ApiProperty() updated!: number;
  @ApiProperty() failed!: number;
  @ApiProperty({
    description: 'Row errors by row number (row 1 is the first contact)',
    type: 'array',
    items: {
      type: 'object',
      properties: {
        row: { type: 'integer' },
        field: { type: 'string' },
        message: { type: 'string' },
      },
    },
  })
  errors!: RowError[];
  @ApiProperty({ description: 'More errors follow: ask again with errorsAfterRow' })
  errorsTruncated!: boolean;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) startedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) finishedAt!: string | null;
}

function view(job: ImportJob, errors: RowError[], truncated: boolean): ImportJobView {
  return {
    id: job.id,
    status: job.status,
    format: job.format,
    total: job.total,
    processed: job.processed,
    created: job.created,
    updated: job.updated,
    failed: job.failed,
    errors,
    errorsTruncated: truncated,
    error: job.error,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
  };
}

@ApiTags('bulk import')
@Controller('contacts/imports')
export class BulkImportController {
  constructor(
    private readonly jobs: ImportJobs,
    @Inject(IMPORT_WORKER) private readonly worker: ImportWorker | null,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Import up to 100,000 contacts (JSON lines or CSV), upserting by email',
  })
  @ApiConsumes(...Object.keys(IMPORT_CONTENT_TYPES))
  @ApiBody({
    schema: { type: 'string' },
    description: 'One contact per line (JSON object) or a CSV with a header row',
  })
  @ApiResponse({ status: 202, type: ImportJobView })
  @ApiResponse({ status: 413, description: 'The file is larger than 50 MB' })
  @ApiResponse({ status: 415, description: 'Not JSON lines or CSV' })
  async create(
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ImportJobView> {
    const mediaType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const format = IMPORT_CONTENT_TYPES[mediaType];
    if (!format || typeof request.body !== 'string') {
      throw new ProblemError(
        problem(
          415,
          'unsupported-media-type',
          `Send ${Object.keys(IMPORT_CONTENT_TYPES).join(' or ')}`,
        ),
      );
    }
    const rows = parseImport(format, request.body);
    if (rows.length === 0) {
      throw new ProblemError(
        problem(422, 'empty-import', 'The file holds no rows', {
          errors: [{ field: 'body', message: 'no rows' }],
        }),
      );
    }
    const { actor, correlationId } = requestContext(request);
    const job = await this.jobs.create({
      id: randomUUID(),
      format,
      payload: request.body,
      total: rows.length,
      createdBy: actor,
      correlationId,
    });
    this.worker?.wake();
    response.setHeader('Location', `/contacts/imports/${job.id}`);
    return view(job, [], false);
  }

  @Get(':id')
  @ApiOperation({ summary: 'The progress and row errors of an import job' })
  @ApiResponse({ status: 200, type: ImportJobView })
  async get(
    @Param('id', IdPipe) id: string,
    @Query() query: ImportJobQuery,
  ): Promise<ImportJobView> {
    const job = await this.jobs.get(id);
    if (!job)
      throw new NotFoundError(`Import job ${id} does not exist`, 'import-not-found', { id });
    const errors = await this.jobs.rowErrors(
      id,
      Number(query.errorsAfterRow ?? 0),
      ERRORS_PER_PAGE + 1,
    );
    return view(job, errors.slice(0, ERRORS_PER_PAGE), errors.length > ERRORS_PER_PAGE);
  }
}
