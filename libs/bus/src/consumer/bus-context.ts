// What a NestJS handler on the bus can learn about the message besides the
// event: `@Ctx() context: BusContext`.
import { BaseRpcContext } from '@nestjs/microservices';
import type { ReceivedMessage } from './consume-events';

export class BusContext extends BaseRpcContext<[ReceivedMessage]> {
  getMessage(): ReceivedMessage {
    return this.args[0];
  }

  getTopic(): string {
    return this.args[0].topic;
  }

  getPartition(): number {
    return this.args[0].partition;
  }

  getOffset(): string {
    return this.args[0].offset;
  }

  getHeaders(): Record<string, string> {
    return this.args[0].headers;
  }
}
