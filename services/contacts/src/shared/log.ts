// The service's log: the platform's (@engagement/service-runtime), kept
// importable from here for the capabilities that take one.
export { quietLog, type Log, type LogFields } from '@engagement/service-runtime';
