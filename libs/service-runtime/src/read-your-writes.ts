// Read-your-writes on request: every command answers with the position of
// its last event, and every GET accepts ?waitForPosition=<that position>,
// waiting (at most a few seconds) until the read-model projection has
// applied it. Without the parameter a GET answers at once from whatever the
// read model holds.
import { ApiPropertyOptional } from '@nestjs/swagger';
import { problem, ProblemError } from '@engagement/http';
import type { RunningProjection } from '@engagement/projections';
import { IsOptional, Matches, MaxLength } from 'class-validator';

export const READ_YOUR_WRITES_TIMEOUT_MS = 5_000;

export class ReadQuery {
  @ApiPropertyOptional({
    description: 'A position from a command response: answer once the read model has reached it',
    example: '1234567890',
  })
  @IsOptional()
  @Matches(/^\d{1,20}$/, { message: 'waitForPosition must be a position (decimal digits)' })
  waitForPosition?: string;
}

/** A list's paging: how many, and where the previous page ended. */
export class PageQuery extends ReadQuery {
  @ApiPropertyOptional({ description: '1 to 200', default: 50 })
  @IsOptional()
  @Matches(/^\d{1,3}$/, { message: 'limit must be a number from 1 to 200' })
  limit?: string;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @MaxLength(2_000)
  cursor?: string;
}

export class ReadModelWaiter {
  constructor(
    private readonly projection: Pick<RunningProjection, 'waitForPosition'>,
    private readonly timeoutMs = READ_YOUR_WRITES_TIMEOUT_MS,
  ) {}

  async waitFor(position: string | undefined): Promise<void> {
    if (position === undefined) return;
    try {
      await this.projection.waitForPosition(BigInt(position), this.timeoutMs);
    } catch {
      throw new ProblemError(
        problem(
          504,
          'read-model-behind',
          `The read model did not reach position ${position} within ${this.timeoutMs} ms; try again`,
        ),
      );
    }
  }
}
