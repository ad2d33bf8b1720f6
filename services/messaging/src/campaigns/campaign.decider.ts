// A campaign's stream (`campaign-<uuid>`): draft → scheduled → sending →
// sent, or cancelled before it is sent. Its audience, template and
// variables change only before sending starts.
import type {
  CampaignCreatedData,
  CampaignEvent,
  CampaignRevisedData,
  CampaignStatus,
} from '@engagement/contracts';
import { isOneOf, MESSAGE_CHANNELS } from '@engagement/contracts';
import {
  ConflictError,
  NotFoundError,
  RuleViolationError,
  type Decider,
} from '@engagement/decider';

export type CampaignState =
  { exists: false } | { exists: true; status: CampaignStatus; campaign: CampaignCreatedData };

export type CampaignCommand =
  | { type: 'CreateCampaign'; campaign: CampaignCreatedData }
  | { type: 'ReviseCampaign'; changes: Omit<CampaignRevisedData, 'campaignId'> }
  | { type: 'ScheduleCampaign'; scheduledAt: string }
  | { type: 'StartSending' }
  | { type: 'CompleteCampaign'; audienceSize: number }
  | { type: 'CancelCampaign' };

function check(campaign: Omit<CampaignCreatedData, 'campaignId'>): void {
  if (!campaign.name?.trim())
    throw new RuleViolationError('name is required', 'invalid-name', { field: 'name' });
  if (!isOneOf(MESSAGE_CHANNELS, campaign.channel)) {
    throw new RuleViolationError(`unknown channel ${String(campaign.channel)}`, 'unknown-channel', {
      field: 'channel',
    });
  }
}

export const campaignDecider: Decider<CampaignCommand, CampaignEvent, CampaignState> = {
  initialState: () => ({ exists: false }),
  evolve(state, event) {
    switch (event.type) {
      case 'CampaignCreated':
        return {
          exists: true,
          status: event.data.scheduledAt ? 'scheduled' : 'draft',
          campaign: event.data,
        };
      case 'CampaignRevised':
        if (!state.exists) return state;
        return { ...state, campaign: { ...state.campaign, ...event.data } };
      case 'CampaignScheduled':
        if (!state.exists) return state;
        return {
          ...state,
          status: 'scheduled',
          campaign: { ...state.campaign, scheduledAt: event.data.scheduledAt },
        };
      case 'CampaignSendingStarted':
        return state.exists ? { ...state, status: 'sending' } : state;
      case 'CampaignCompleted':
        return state.exists ? { ...state, status: 'sent' } : state;
      case 'CampaignCancelled':
        return state.exists ? { ...state, status: 'cancelled' } : state;
    }
  },
  decide(command, state, context) {
    const at = context.now.toISOString();
    if (command.type === 'CreateCampaign') {
      if (state.exists) return [];
      check(command.campaign);
      return [{ type: 'CampaignCreated', data: command.campaign }];
    }
    if (!state.exists) throw new NotFoundError('campaign not found', 'campaign-not-found');
    const { campaignId } = state.campaign;
    const editable = state.status === 'draft' || state.status === 'scheduled';
    switch (command.type) {
      case 'ReviseCampaign':
        if (!editable)
          throw new ConflictError(
            `a ${state.status} campaign cannot change`,
            'campaign-not-editable',
          );
        check({ ...state.campaign, ...command.changes });
        return [{ type: 'CampaignRevised', data: { campaignId, ...command.changes } }];
      case 'ScheduleCampaign':
        if (!editable)
          throw new ConflictError(
            `a ${state.status} campaign cannot be scheduled`,
            'campaign-not-editable',
          );
        return [
          { type: 'CampaignScheduled', data: { campaignId, scheduledAt: command.scheduledAt } },
        ];
      case 'StartSending':
        if (state.status === 'sending' || state.status === 'sent') return [];
        if (state.status === 'cancelled')
          throw new ConflictError('the campaign was cancelled', 'campaign-cancelled');
        return [{ type: 'CampaignSendingStarted', data: { campaignId, startedAt: at } }];
      case 'CompleteCampaign':
        if (state.status !== 'sending') return [];
        return [
          {
            type: 'CampaignCompleted',
            data: { campaignId, audienceSize: command.audienceSize, completedAt: at },
          },
        ];
      case 'CancelCampaign':
        if (state.status === 'cancelled') return [];
        if (state.status === 'sent')
          throw new ConflictError('the campaign was sent', 'campaign-sent');
        return [{ type: 'CampaignCancelled', data: { campaignId, cancelledAt: at } }];
    }
  },
};
