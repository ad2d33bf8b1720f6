// The body of POST /contacts (the seed's example body), validated the way a
// team would with class-validator: a valid email, bounded strings, a flat
// map of property values, a list of tag names. Unknown fields are refused
// by the ValidationPipe (main.ts).
import {
  ArrayMaxSize,
  IsArray,
  IsEmail,
  IsOptional,
  IsString,
  MaxLength,
  ValidateBy,
  type ValidationOptions,
} from 'class-validator';

export type PropertyValue = string | number | boolean;

const MAX_PROPERTIES = 100;

/** An object of at most 100 name → string | number | boolean entries. */
function IsPropertyMap(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPropertyMap',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.keys(value).length <= MAX_PROPERTIES &&
          Object.entries(value).every(
            ([name, v]) =>
              name.length > 0 &&
              name.length <= 100 &&
              (typeof v === 'number'
                ? Number.isFinite(v)
                : typeof v === 'boolean' || (typeof v === 'string' && v.length <= 10_000)),
          ),
        defaultMessage: () =>
          `properties must map at most ${MAX_PROPERTIES} names to strings, numbers or booleans`,
      },
    },
    options,
  );
}

export class CreateContactDto {
  @IsEmail()
  @MaxLength(320)
  email!: string;

  @IsOptional()
  @IsString()
  @MaxLength(1_000)
  firstName?: string;

  @IsOptional()
  @IsString()
  @MaxLength(1_000)
  lastName?: string;

  @IsOptional()
  @IsPropertyMap()
  properties?: Record<string, PropertyValue>;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  tags?: string[];

  /** Accepted as in the seed's example; CRM sync is out of this service's scope. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  syncToCrms?: string[];
}
