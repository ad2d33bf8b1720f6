// The context a command is decided in (who asks, which request, the time,
// the Idempotency-Key): the platform's, kept importable from here for the
// contacts controllers and workers.
export { commandContext, systemContext } from '@engagement/service-runtime';
