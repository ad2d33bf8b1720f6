// kill -9 in the middle of a campaign: the workers run in a child process
// that is SIGKILLed while messages are being sent, then started again. No
// recipient ever gets two copies; every message ends with an outcome; an
// attempt the kill interrupted is reconciled (counted as sent, SMTP cannot
// tell), never sent again.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { findWorkspaceRoot } from '@engagement/config';
import { startMessagingRuntime } from '../runtime';
import { campaignStream } from '../shared/messaging-streams';
import { quietLog, testConfig, TestSmtpServer } from '../shared/test-bed.testing';
import { campaignDecider } from './campaign.decider';
import { Pool } from 'pg';

const RECIPIENTS = 60;

function startWorkers(config: object): Promise<ChildProcess> {
  const root = findWorkspaceRoot();
  const child = spawn(
    process.execPath,
    ['-r', '@swc-node/register', join(__dirname, '../shared/worker-process.testing.ts')],
    {
      cwd: root,
      env: {
        ...process.env,
        SWC_NODE_PROJECT: join(root, 'tsconfig.base.json'),
        MESSAGING_TEST_CONFIG: JSON.stringify(config),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker process exited with ${code}`)));
  });
}

it('loses and doubles nothing when the sending process is killed with SIGKILL mid-campaign', async () => {
  const smtp = new TestSmtpServer();
  await smtp.start();
  // A slow server: the kill lands while messages are in flight.
  smtp.delayMs = 40;
  const id = randomUUID().replace(/-/g, '').slice(0, 10);
  const config = testConfig(id, {
    smtpUrl: `smtp://127.0.0.1:${smtp.port}?tls=off`,
    leaseMs: 1_500,
    sendConcurrency: 8,
  });
  const pool = new Pool({ connectionString: config.databaseUrl, max: 2 });
  const children: ChildProcess[] = [];
  try {
    // Set up with a runtime that runs no workers: template, contacts, the campaign started.
    const setup = await startMessagingRuntime({ ...config, workersEnabled: false }, quietLog, {
      consumeContacts: false,
      consumeEvents: false,
      decrypter: null,
    });
    const context = {
      now: new Date(),
      actor: 'test',
      correlationId: 'crash',
      causationId: null,
      traceparent: null,
    };
    const template = await setup.templates.create(
      {
        slug: 'crash',
        name: 'Crash',
        description: null,
        channel: 'email',
        subjectTemplate: 'Hi {{ contact.first_name }}',
        preheaderTemplate: null,
        contentSource: 'manual',
        contentApiUrl: null,
        cachedContentHtml: '<p>Hi</p>',
        cachedContentText: 'Hi',
        variables: null,
        requiredVariables: null,
        generationPrompt: null,
        brandContext: null,
        isVariant: false,
        parentTemplateId: null,
        variantName: null,
        syncToCrm: false,
        crmTemplateMappings: null,
        isActive: true,
      },
      context,
    );
    const emails = Array.from({ length: RECIPIENTS }, (_, i) => `crash-${i}@example.com`);
    await pool.query(
      `INSERT INTO ${config.schema}.contact_replica (contact_id, consent, timezone, tags, email, first_name, updated_at)
       SELECT gen_random_uuid(), '{"email": true, "marketing": true}'::jsonb, 'UTC', ARRAY['crash'], e, 'Ann', now() FROM unnest($1::text[]) AS e`,
      [emails],
    );
    const campaignId = randomUUID();
    await setup.streams.run(
      campaignStream(campaignId),
      campaignDecider,
      {
        type: 'CreateCampaign',
        campaign: {
          campaignId,
          name: 'crash',
          channel: 'email',
          templateId: template.streamId.slice('template-'.length),
          kind: 'marketing',
          audience: { tags: ['crash'], lifecycleStages: [], properties: {} },
          variables: {},
          scheduledAt: null,
        },
      },
      context,
    );
    await setup.campaigns.startSending(campaignId);
    await setup.stop();

    const childConfig = {
      ...config,
      trackingSecret: config.trackingSecret.toString('base64'),
      serviceTokenKey: config.serviceTokenKey.toString('base64'),
    };
    const first = await startWorkers(childConfig);
    children.push(first);
    const deadline = Date.now() + 60_000;
    while (smtp.received.length < 10 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const receivedAtKill = smtp.received.length;
    expect(receivedAtKill).toBeLessThan(RECIPIENTS);

    const second = await startWorkers(childConfig);
    children.push(second);
    let outcomes = 0;
    while (outcomes < RECIPIENTS && Date.now() < deadline + 60_000) {
      await new Promise((r) => setTimeout(r, 200));
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM ${config.schema}.sent_messages WHERE campaign_id = $1 AND status IN ('sent', 'failed', 'bounced', 'blocked')`,
        [campaignId],
      );
      outcomes = rows[0].n;
    }
    expect(outcomes).toBe(RECIPIENTS);

    const perRecipient = new Map<string, number>();
    for (const mail of smtp.received)
      for (const to of mail.envelopeTo) perRecipient.set(to, (perRecipient.get(to) ?? 0) + 1);
    expect([...perRecipient.values()].filter((n) => n > 1)).toEqual([]);
    // Every message not reconciled after the kill arrived exactly once.
    const { rows: sent } = await pool.query<{ recipient_email: string; reconciled: boolean }>(
      `SELECT recipient_email, (provider_metadata->>'reconciled')::boolean AS reconciled FROM ${config.schema}.sent_messages WHERE campaign_id = $1`,
      [campaignId],
    );
    for (const row of sent.filter((r) => !r.reconciled))
      expect(perRecipient.get(row.recipient_email)).toBe(1);
    expect(sent.filter((r) => r.reconciled).length).toBeLessThanOrEqual(config.sendConcurrency);
    expect(smtp.received.length).toBeGreaterThanOrEqual(RECIPIENTS - config.sendConcurrency);
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await smtp.close();
    await pool.query(`DROP SCHEMA IF EXISTS ${config.schema} CASCADE`);
    await pool.query(`DROP SCHEMA IF EXISTS ${config.eventStoreSchema} CASCADE`);
    await pool.end();
  }
}, 180_000);
