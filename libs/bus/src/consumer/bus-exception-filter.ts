// NestJS's default exception filter for microservices turns every error that
// is not an RpcException into `{ status: 'error', message: 'Internal server
// error' }` before a transport sees it, so a handler's TypeError (a bug) and
// a database outage (transient) would look the same. This filter hands the
// original error to the BusTransport, which then retries what is transient
// and dead-letters a programming error after a few attempts. Register it on
// the microservice: `microservice.useGlobalFilters(new BusExceptionFilter())`.
import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

@Catch()
export class BusExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

/** The shape Nest's default filter leaves of an unknown error. */
export function isMaskedByNest(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    !(error instanceof Error) &&
    (error as { status?: unknown }).status === 'error' &&
    (error as { message?: unknown }).message === 'Internal server error'
  );
}
