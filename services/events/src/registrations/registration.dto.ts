// The HTTP shapes of registrations: the seed's POST /api/registrations body
// exactly (email, eventId, formData, utmParams) plus optional registrant
// and source fields, checked at the edge (422 per malformed field).
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  REGISTRATION_SOURCES,
  REGISTRATION_STATUSES,
  type RegistrationSource,
  type RegistrationStatus,
} from '@engagement/contracts';
import { PageQuery } from '@engagement/service-runtime';
import {
  IsEmail,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

export class RegisterDto {
  @ApiProperty({ example: 'user@example.com' })
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(320)
  email!: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'eventId must be a UUID' })
  eventId!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { company: 'Acme Corp' },
  })
  @IsOptional()
  @IsObject()
  formData?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { source: 'linkedin' },
  })
  @IsOptional()
  @IsObject()
  utmParams?: Record<string, unknown>;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  firstName?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  lastName?: string;

  @ApiPropertyOptional({ example: '+14155550100' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  phone?: string;

  @ApiPropertyOptional({ enum: REGISTRATION_SOURCES })
  @IsOptional()
  @IsIn(REGISTRATION_SOURCES)
  registrationSource?: RegistrationSource;

  @ApiPropertyOptional({ format: 'uri' })
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  @MaxLength(2048)
  sourceUrl?: string;
}

export class RegistrationResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) contactId!: string;
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty({ enum: REGISTRATION_STATUSES }) status!: RegistrationStatus;
  @ApiProperty({ type: String, nullable: true }) position!: string | null;
  @ApiProperty() revision!: number;
}

export class AttendanceDto {
  @ApiProperty({ example: '2027-01-15T17:02:00Z' })
  @IsISO8601({ strict: true })
  attendedAt!: string;

  @ApiPropertyOptional({ minimum: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100_000)
  durationMinutes?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 100 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  engagementScore?: number;
}

export class ListRegistrationsQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all')
  eventId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: "A contact's registrations" })
  @IsOptional()
  @IsUUID('all')
  contactId?: string;

  @ApiPropertyOptional({ enum: REGISTRATION_STATUSES })
  @IsOptional()
  @IsIn(REGISTRATION_STATUSES)
  status?: RegistrationStatus;
}
