// The pipeline's sample pair of services, as processes: a writer that
// appends sample contact events to its event store, its relay to Kafka, and
// a consumer in another process that keeps sampleContactsProjection from the
// topic. The fault tests kill and cut them; the pipeline benchmark times them.
export {
  writeSampleContacts,
  sampleEvent,
  nowMs,
  type SampleWritePlan,
  type SampleWriteResult,
  type AppendedSample,
} from './sample-writer';
export {
  startSampleProcess,
  type SampleProcess,
  type SampleProcessKind,
  type ReportLine,
} from './sample-process';
