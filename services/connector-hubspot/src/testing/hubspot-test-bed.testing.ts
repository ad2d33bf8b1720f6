// Test support for connector-hubspot's integration tests: the HubSpot
// emulator as a child process and the connector in this process, from the
// connectors' one test bed (@engagement/connector-test-bed).
import { HUBSPOT } from '@engagement/connector-kit';
import {
  EmulatorProcess as CrmEmulatorProcess,
  startConnectorTestBed,
  type EmulatorSpec,
  type TestBed,
} from '@engagement/connector-test-bed';
import { hubspotAdapter } from '../hubspot/hubspot.adapter';

export { http, waitFor, type TestBed } from '@engagement/connector-test-bed';

export const PRIVATE_APP_TOKEN = 'pat-na1-emulator-private-app-token';

const HUBSPOT_EMULATOR: EmulatorSpec = {
  name: 'hubspot',
  displayName: 'HubSpot',
  portVariable: 'HUBSPOT_EMULATOR_PORT',
  apiHeaders: { authorization: `Bearer ${PRIVATE_APP_TOKEN}` },
};

export class EmulatorProcess extends CrmEmulatorProcess {
  static async start(port: number, env: Record<string, string> = {}) {
    const { child, url } = await CrmEmulatorProcess.spawn(HUBSPOT_EMULATOR, port, env);
    return new EmulatorProcess(child, url, HUBSPOT_EMULATOR.apiHeaders);
  }

  contacts() {
    return this.admin<{
      results: Array<{ id: string; properties: Record<string, string | null> }>;
    }>('GET', '/contacts').then((r) => r.results);
  }
}

export function startTestBed(
  emulator: EmulatorProcess,
  overrides: Record<string, string> = {},
): Promise<TestBed> {
  return startConnectorTestBed({ provider: HUBSPOT, adapter: hubspotAdapter, emulator, overrides });
}
