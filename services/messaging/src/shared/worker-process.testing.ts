// A messaging runtime in a process of its own, for tests that kill it with
// SIGKILL: its configuration comes as JSON in MESSAGING_TEST_CONFIG (the
// buffers base64), it writes "ready" once its workers run, and it has no
// HTTP server (the workers are what a crash tests).
import 'reflect-metadata';
import type { MessagingConfig } from '../config';
import { startMessagingRuntime } from '../runtime';
import { quietLog } from './test-bed.testing';

async function main(): Promise<void> {
  const raw = JSON.parse(process.env.MESSAGING_TEST_CONFIG ?? '') as MessagingConfig & {
    trackingSecret: string;
    serviceTokenKey: string;
  };
  const config: MessagingConfig = {
    ...raw,
    trackingSecret: Buffer.from(raw.trackingSecret, 'base64'),
    serviceTokenKey: Buffer.from(raw.serviceTokenKey, 'base64'),
  };
  await startMessagingRuntime(config, quietLog, {
    consumeContacts: false,
    consumeEvents: false,
    decrypter: null,
  });
  process.stdout.write('ready\n');
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
