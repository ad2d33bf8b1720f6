// Read-your-writes on request (?waitForPosition=): the platform's, kept
// importable from here for the contacts controllers.
export {
  PageQuery,
  READ_YOUR_WRITES_TIMEOUT_MS,
  ReadModelWaiter,
  ReadQuery,
} from '@engagement/service-runtime';
