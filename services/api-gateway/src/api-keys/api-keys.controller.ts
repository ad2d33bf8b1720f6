// Managing API keys over HTTP; every route here needs an admin key (see
// access-rules.ts). A new key's value is in the creation response and
// nowhere else, ever: keep it then or create another.
//
// These routes ignore Idempotency-Key: replaying a creation would mean
// storing the new key in clear in the idempotency table.
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  ParseUUIDPipe,
  Post,
  Res,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { problem, ProblemError } from '@engagement/http';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  Length,
} from 'class-validator';
import type { Response } from 'express';
import { SCOPES, type Scope } from './api-key';
import { ApiKeyStore, type ApiKeyRecord } from './api-key.store';

export class CreateApiKeyDto {
  @ApiPropertyOptional({ description: 'What the key is for, e.g. "crm-sync"', maxLength: 100 })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  name?: string;

  @ApiProperty({ enum: SCOPES, isArray: true, example: ['read', 'write'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(3)
  @ArrayUnique()
  @IsIn(SCOPES, { each: true })
  scopes!: Scope[];
}

export class ApiKeyView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'First characters of the key, to tell keys apart' })
  prefix!: string;
  @ApiProperty({ enum: SCOPES, isArray: true }) scopes!: Scope[];
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) revokedAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastUsedAt!: string | null;
}

export class CreatedApiKeyView extends ApiKeyView {
  @ApiProperty({ description: 'The key itself. Shown this once; only its hash is kept.' })
  key!: string;
}

export class ApiKeyListView {
  @ApiProperty({ type: [ApiKeyView] }) items!: ApiKeyView[];
}

@ApiTags('api-keys')
@ApiBearerAuth('bearer')
@Controller('api/api-keys')
export class ApiKeysController {
  constructor(@Inject(ApiKeyStore) private readonly keys: ApiKeyStore) {}

  @Post()
  @ApiResponse({ status: 201, type: CreatedApiKeyView })
  async create(
    @Body() dto: CreateApiKeyDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<CreatedApiKeyView> {
    const { record, key } = await this.keys.create(dto.name ?? 'unnamed', dto.scopes);
    // A secret in a response: no cache anywhere may keep it.
    response.setHeader('Cache-Control', 'no-store');
    return { ...record, key };
  }

  @Get()
  @ApiResponse({ status: 200, type: ApiKeyListView })
  async list(): Promise<{ items: ApiKeyRecord[] }> {
    return { items: await this.keys.list() };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiResponse({ status: 204, description: 'Revoked (also if it already was)' })
  async revoke(@Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    if (!(await this.keys.revoke(id))) {
      throw new ProblemError(problem(404, 'api-key-not-found', `No API key ${id}`));
    }
  }
}
