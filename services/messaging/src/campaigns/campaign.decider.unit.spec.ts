import type { CampaignCreatedData, CampaignEvent } from '@engagement/contracts';
import { ConflictError, given, RuleViolationError, testContext } from '@engagement/decider';
import { campaignDecider } from './campaign.decider';

const at = testContext.now.toISOString();
const campaignId = 'ca000000-0000-4000-8000-000000000001';
const campaign: CampaignCreatedData = {
  campaignId,
  name: 'Spring launch',
  channel: 'email',
  templateId: 'e0000000-0000-4000-8000-000000000001',
  kind: 'marketing',
  audience: { tags: ['vip'], lifecycleStages: [], properties: {} },
  variables: {},
  scheduledAt: null,
};
const created: CampaignEvent = { type: 'CampaignCreated', data: campaign };
const started: CampaignEvent = {
  type: 'CampaignSendingStarted',
  data: { campaignId, startedAt: at },
};

describe('campaign decider', () => {
  it('creates a draft once and refuses an unknown channel', () => {
    given(campaignDecider, []).when({ type: 'CreateCampaign', campaign }).then([created]);
    given(campaignDecider, [created]).when({ type: 'CreateCampaign', campaign }).then([]);
    given(campaignDecider, [])
      .when({ type: 'CreateCampaign', campaign: { ...campaign, channel: 'fax' as never } })
      .thenThrows(RuleViolationError, { code: 'unknown-channel' });
  });

  it('starts sending once, completes once, and refuses changes after the start', () => {
    given(campaignDecider, [created]).when({ type: 'StartSending' }).then([started]);
    given(campaignDecider, [created, started]).when({ type: 'StartSending' }).then([]);
    given(campaignDecider, [created, started])
      .when({ type: 'CompleteCampaign', audienceSize: 3 })
      .then([
        { type: 'CampaignCompleted', data: { campaignId, audienceSize: 3, completedAt: at } },
      ]);
    given(campaignDecider, [created, started])
      .when({ type: 'ReviseCampaign', changes: { name: 'x' } })
      .thenThrows(ConflictError, { code: 'campaign-not-editable' });
  });

  it('cancels before it is sent, never after', () => {
    given(campaignDecider, [created])
      .when({ type: 'CancelCampaign' })
      .then([{ type: 'CampaignCancelled', data: { campaignId, cancelledAt: at } }]);
    const sent: CampaignEvent = {
      type: 'CampaignCompleted',
      data: { campaignId, audienceSize: 1, completedAt: at },
    };
    given(campaignDecider, [created, started, sent])
      .when({ type: 'CancelCampaign' })
      .thenThrows(ConflictError);
  });
});
