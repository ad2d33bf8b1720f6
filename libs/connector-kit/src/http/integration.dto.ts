// The request bodies of /integrations/<provider>: the seed's columns in
// camelCase. class-validator checks shapes here, at the edge; the decider
// checks the rules.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, IsString, IsUrl, MaxLength, MinLength } from 'class-validator';
import { AUTH_TYPES, PROVIDER_TYPES } from '../integrations/integration.events';

export class ConnectIntegrationDto {
  @ApiProperty({ example: 'hubspot', description: "This connector's provider (the path's)" })
  @IsString()
  provider!: string;

  @ApiProperty({ example: 'HubSpot' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  displayName!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiProperty({ enum: PROVIDER_TYPES, example: 'crm' })
  @IsIn(PROVIDER_TYPES)
  providerType!: string;

  @ApiProperty({ enum: AUTH_TYPES, example: 'oauth2' })
  @IsIn(AUTH_TYPES)
  authType!: string;

  @ApiProperty({
    description: 'Secrets, encrypted at rest and never returned: {"access_token", "refresh_token", "expires_at", "client_id", "client_secret"} or {"private_app_token"} or {"api_key"}; GoHighLevel also "location_id" in config',
    example: { private_app_token: 'pat-...' },
  })
  @IsObject()
  credentials!: Record<string, string>;

  @ApiPropertyOptional({ example: { sync_all_contacts: false, location_id: 'loc-1' } })
  @IsOptional()
  @IsObject()
  config?: Record<string, unknown>;

  @ApiPropertyOptional({ example: { company: { hubspot: 'company', gohighlevel: 'companyName' } } })
  @IsOptional()
  @IsObject()
  fieldMappings?: Record<string, unknown>;

  @ApiPropertyOptional({ example: { sync_contacts: true, sync_activities: true } })
  @IsOptional()
  @IsObject()
  capabilities?: Record<string, unknown>;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUrl({ require_tld: false })
  webhookUrl?: string;

  @ApiPropertyOptional({ description: 'Encrypted at rest, never returned' })
  @IsOptional()
  @IsString()
  webhookSecret?: string;
}

export class UpdateIntegrationDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(200) displayName?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000) description?: string;
  @ApiPropertyOptional() @IsOptional() @IsObject() config?: Record<string, unknown>;
  @ApiPropertyOptional() @IsOptional() @IsObject() fieldMappings?: Record<string, unknown>;
  @ApiPropertyOptional() @IsOptional() @IsObject() capabilities?: Record<string, unknown>;
  @ApiPropertyOptional() @IsOptional() @IsUrl({ require_tld: false }) webhookUrl?: string;
}

export class ReplaceCredentialsDto {
  @ApiProperty({ description: 'Secrets, encrypted at rest and never returned' })
  @IsObject()
  credentials!: Record<string, string>;
}
