// handleCommand with patience for hot streams: the platform's, kept
// importable from here for the contacts handlers.
export { runCommand, sleep } from '@engagement/service-runtime';
