// Campaign send to BENCH_CONTACTS (default 10,000) contacts over SMTP, to a
// local SMTP emulator (emulators/smtp, its own instance on a free port, its
// mailbox in a temporary directory), side by side with the ceiling:
//   (a) messaging: the real runtime in this process (its own schemas, no
//       Kafka): the campaign runner resolves the audience from the replica,
//       requests each message (template rendered, MessageRequested
//       appended), the send queue's workers check the rules, append
//       MessageSending, send through nodemailer's pool and append MessageSent;
//   (b) plain nodemailer: the same rendered messages sent in a loop through
//       a pooled transport with the same number of connections.
// Figures: messages/s over the whole send, the time to the first message
// (from "send" to the first MessageSent for (a), to the first accepted mail
// for (b)), and this process's CPU time per message (the SMTP emulator runs
// in it for both: the difference is messaging's own cost, steadier than
// rates on a shared machine). Prints a table, the ratio, and one JSON line;
// never fails on a missed goal (≥ 1,000 messages/s).
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import nodemailer from 'nodemailer';
import { Pool } from 'pg';
import { loadPlatformConfig } from '@engagement/config';
import { startSmtpEmulator } from '../emulators/smtp/src/server';
import { SMTP_EMULATOR_DEFAULTS } from '../emulators/smtp/src/config';
import { startMessagingRuntime } from '../services/messaging/src/runtime';
import { parseQuietHours } from '../services/messaging/src/rules/send-rules';
import { parseReminderOffsets } from '../services/messaging/src/reminders/reminder-schedule';
import { renderTemplate } from '../services/messaging/src/templates/template-rendering';
import { campaignDecider } from '../services/messaging/src/campaigns/campaign.decider';
import { campaignStream } from '../services/messaging/src/shared/messaging-streams';
import type { Log } from '@engagement/service-runtime';

const CONTACTS = Number(process.env.BENCH_CONTACTS ?? 10_000);
const SMTP_POOL = Number(process.env.BENCH_SMTP_POOL ?? 5);
const SEND_CONCURRENCY = Number(process.env.BENCH_SEND_CONCURRENCY ?? 32);

const quiet: Log = {
  info: () => undefined,
  warn: (m: string, f?: unknown) => console.error('warn:', m, JSON.stringify(f)),
  error: (m: string, f?: unknown) => console.error(m, f),
} as unknown as Log;
const context = () => ({
  now: new Date(),
  actor: 'bench',
  correlationId: randomUUID(),
  causationId: null,
  traceparent: null,
});

const TEMPLATE = {
  subjectTemplate: 'Spring news for {{ contact.first_name }}',
  html: '<html><body><p>Hi {{ contact.first_name }},</p><p>Our spring collection is here. <a href="https://shop.example.com/spring">Shop now</a></p></body></html>',
  text: 'Hi {{ contact.first_name }}, our spring collection is here: https://shop.example.com/spring',
};

async function main(): Promise<void> {
  const platform = loadPlatformConfig();
  const dir = mkdtempSync(join(tmpdir(), 'bench-smtp-'));
  const smtp = await startSmtpEmulator({
    ...SMTP_EMULATOR_DEFAULTS,
    smtpPort: 0,
    adminPort: 0,
    dataDir: dir,
  });
  const id = randomUUID().replace(/-/g, '').slice(0, 8);
  const schema = `bench_messaging_${id}`;
  const eventStoreSchema = `bench_es_messaging_${id}`;
  const admin = new Pool({ connectionString: platform.databaseUrl, max: 2 });
  const contacts = Array.from({ length: CONTACTS }, (_, i) => ({
    id: randomUUID(),
    email: `bench-${i}@example.com`,
    firstName: `Ann${i}`,
  }));
  try {
    console.log(
      `campaign-send: ${CONTACTS} contacts, SMTP pool ${SMTP_POOL}, send concurrency ${SEND_CONCURRENCY}`,
    );
    const ceiling = await plainNodemailer(smtp.smtpPort, contacts);
    console.log(
      `  plain nodemailer: ${ceiling.perSecond.toFixed(0)} messages/s, first after ${ceiling.firstMs.toFixed(0)} ms, ${ceiling.cpuMsPerMessage.toFixed(2)} ms CPU per message`,
    );
    const ours = await messaging(
      platform,
      schema,
      eventStoreSchema,
      smtp.smtpPort,
      contacts,
      admin,
    );
    console.log(
      `  messaging:        ${ours.perSecond.toFixed(0)} messages/s, first after ${ours.firstMs.toFixed(0)} ms, ${ours.cpuMsPerMessage.toFixed(2)} ms CPU per message`,
    );
    const ratio = ours.perSecond / ceiling.perSecond;
    console.log(
      `  messaging / plain nodemailer: ${(ratio * 100).toFixed(1)} % of the ceiling (goal ≥ 1,000 messages/s)`,
    );
    console.log(
      JSON.stringify({
        bench: 'campaign-send',
        contacts: CONTACTS,
        smtpPool: SMTP_POOL,
        messaging: ours,
        plainNodemailer: ceiling,
        ratio,
      }),
    );
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.query(`DROP SCHEMA IF EXISTS ${eventStoreSchema} CASCADE`);
    await admin.end();
    await smtp.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function plainNodemailer(port: number, contacts: { email: string; firstName: string }[]) {
  const transport = nodemailer.createTransport({
    pool: true,
    host: '127.0.0.1',
    port,
    maxConnections: SMTP_POOL,
    maxMessages: Infinity,
    ignoreTLS: true,
  });
  const rendered = contacts.map((c) => ({
    to: c.email,
    ...renderTemplate(
      {
        subjectTemplate: TEMPLATE.subjectTemplate,
        preheaderTemplate: null,
        html: TEMPLATE.html,
        text: TEMPLATE.text,
      },
      { contact: { first_name: c.firstName } },
    ),
  }));
  const cpu = process.cpuUsage();
  const started = performance.now();
  let first = 0;
  let next = 0;
  const worker = async () => {
    while (next < rendered.length) {
      const m = rendered[next++];
      await transport.sendMail({
        from: 'bench@engagement.local',
        to: m.to,
        subject: m.subject ?? '',
        html: m.html ?? undefined,
        text: m.text ?? undefined,
      });
      if (!first) first = performance.now();
    }
  };
  await Promise.all(Array.from({ length: SEND_CONCURRENCY }, worker));
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  transport.close();
  return {
    messages: rendered.length,
    perSecond: (rendered.length / ms) * 1000,
    firstMs: first - started,
    totalMs: ms,
    cpuMsPerMessage: (used.user + used.system) / 1000 / rendered.length,
  };
}

async function messaging(
  platform: { databaseUrl: string; kafkaBrokers: string[] },
  schema: string,
  eventStoreSchema: string,
  port: number,
  contacts: { id: string; email: string; firstName: string }[],
  admin: Pool,
) {
  const runtime = await startMessagingRuntime(
    {
      name: 'messaging',
      serviceTokenKey: randomBytes(32),
      port: 0,
      host: '127.0.0.1',
      databaseUrl: platform.databaseUrl,
      kafkaBrokers: platform.kafkaBrokers,
      eventStoreConnectionString: undefined,
      schema,
      eventStoreSchema,
      relayEnabled: false,
      topic: schema,
      topicPartitions: 1,
      smtpUrl: `smtp://127.0.0.1:${port}?tls=off`,
      smtpPool: SMTP_POOL,
      emailFrom: 'bench@engagement.local',
      messageIdDomain: 'bench.local',
      twilio: {
        apiBase: 'http://127.0.0.1:1',
        accountSid: 'AC1',
        authToken: 't',
        smsFrom: '+15005550006',
        whatsappFrom: 'whatsapp:+15005550006',
      },
      publicUrl: 'http://127.0.0.1:3000/api',
      trackingSecret: randomBytes(32),
      reminderOffsets: parseReminderOffsets('24h,1h'),
      quietHours: parseQuietHours('off'),
      dailyCap: 1_000,
      maxAttempts: 3,
      retryBaseMs: 100,
      leaseMs: 60_000,
      sendConcurrency: SEND_CONCURRENCY,
      contactsTopic: `${schema}_contacts`,
      eventsTopic: `${schema}_events`,
      contactsUrl: 'http://127.0.0.1:1',
      workersEnabled: true,
    },
    quiet,
    { consumeContacts: false, consumeEvents: false, decrypter: null, poolSize: 24 },
  );
  try {
    await admin.query(
      `INSERT INTO ${schema}.contact_replica (contact_id, consent, timezone, tags, email, first_name, updated_at)
       SELECT id, '{"email": true, "marketing": true}'::jsonb, 'UTC', ARRAY['bench'], email, first_name, now()
         FROM unnest($1::uuid[], $2::text[], $3::text[]) AS c(id, email, first_name)`,
      [contacts.map((c) => c.id), contacts.map((c) => c.email), contacts.map((c) => c.firstName)],
    );
    const template = await runtime.templates.create(
      {
        slug: 'bench-spring',
        name: 'Spring',
        description: null,
        channel: 'email',
        subjectTemplate: TEMPLATE.subjectTemplate,
        preheaderTemplate: null,
        contentSource: 'manual',
        contentApiUrl: null,
        cachedContentHtml: TEMPLATE.html,
        cachedContentText: TEMPLATE.text,
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
      context(),
    );
    const campaignId = randomUUID();
    await runtime.streams.run(
      campaignStream(campaignId),
      campaignDecider,
      {
        type: 'CreateCampaign',
        campaign: {
          campaignId,
          name: 'bench',
          channel: 'email',
          templateId: template.streamId.slice('template-'.length),
          kind: 'marketing',
          audience: { tags: ['bench'], lifecycleStages: [], properties: {} },
          variables: {},
          scheduledAt: null,
        },
      },
      context(),
    );

    const cpu = process.cpuUsage();
    const started = new Date();
    const t0 = performance.now();
    await runtime.campaigns.startSending(campaignId);
    runtime.campaigns.poke();
    let done = 0;
    while (done < contacts.length) {
      await new Promise((r) => setTimeout(r, 200));
      const { rows } = await admin.query(
        `SELECT count(*)::int AS n FROM ${schema}.sent_messages WHERE campaign_id = $1 AND status IN ('sent', 'blocked', 'failed', 'bounced')`,
        [campaignId],
      );
      done = rows[0].n;
      if (performance.now() - t0 > 600_000)
        throw new Error(`only ${done} of ${contacts.length} messages after 10 minutes`);
    }
    const { rows } = await admin.query(
      `SELECT min(sent_at) AS first, max(sent_at) AS last, count(*) FILTER (WHERE status = 'sent')::int AS sent FROM ${schema}.sent_messages WHERE campaign_id = $1`,
      [campaignId],
    );
    const used = process.cpuUsage(cpu);
    const totalMs = rows[0].last.getTime() - started.getTime();
    return {
      messages: rows[0].sent,
      perSecond: (rows[0].sent / totalMs) * 1000,
      firstMs: rows[0].first.getTime() - started.getTime(),
      totalMs,
      // Until the read model shows every message: the projections' work is counted too.
      cpuMsPerMessage: (used.user + used.system) / 1000 / rows[0].sent,
    };
  } finally {
    await runtime.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
