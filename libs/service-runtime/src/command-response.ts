// What every command endpoint answers: the id of the resource, the global
// position of the stream's last event (a decimal string: positions do not
// fit a JSON number), to pass as ?waitForPosition= to a later GET, and the
// stream's revision.
import { ApiProperty } from '@nestjs/swagger';

export class CommandResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '1234567890',
    description: 'Global position of the last event of the stream; null if it has none',
  })
  position!: string | null;

  @ApiProperty({ description: "The stream's revision (index of its last event)", example: 0 })
  revision!: number;
}

export function commandResponse(
  id: string,
  position: bigint | null,
  revision: bigint,
): CommandResponse {
  return {
    id,
    position: position === null ? null : position.toString(),
    revision: Number(revision),
  };
}
