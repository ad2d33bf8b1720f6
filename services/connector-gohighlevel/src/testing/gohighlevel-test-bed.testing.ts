// Test support for connector-gohighlevel's integration tests: the
// GoHighLevel emulator as a child process and the connector in this
// process, from the connectors' one test bed (@engagement/connector-test-bed).
import { GOHIGHLEVEL } from '@engagement/connector-kit';
import {
  EmulatorProcess as CrmEmulatorProcess,
  startConnectorTestBed,
  type EmulatorSpec,
  type TestBed,
} from '@engagement/connector-test-bed';
import { gohighlevelAdapter } from '../gohighlevel/gohighlevel.adapter';

export { http, waitFor, type TestBed } from '@engagement/connector-test-bed';

export const PRIVATE_INTEGRATION_TOKEN = 'pit-emulator-location-0001';
export const LOCATION_ID = 'EmulatorLocation0001';

const GOHIGHLEVEL_EMULATOR: EmulatorSpec = {
  name: 'gohighlevel',
  displayName: 'GoHighLevel',
  portVariable: 'GHL_EMULATOR_PORT',
  apiHeaders: { authorization: `Bearer ${PRIVATE_INTEGRATION_TOKEN}`, version: '2021-07-28' },
};

export class EmulatorProcess extends CrmEmulatorProcess {
  static async start(port: number, env: Record<string, string> = {}) {
    const { child, url } = await CrmEmulatorProcess.spawn(GOHIGHLEVEL_EMULATOR, port, env);
    return new EmulatorProcess(child, url, GOHIGHLEVEL_EMULATOR.apiHeaders);
  }

  contacts() {
    return this.admin<{
      contacts: Array<{
        id: string;
        email?: string;
        firstName?: string;
        companyName?: string;
        tags: string[];
        customFields: Array<{ id: string; value: unknown }>;
      }>;
    }>('GET', '/contacts').then((r) => r.contacts);
  }
}

export function startTestBed(
  emulator: EmulatorProcess,
  overrides: Record<string, string> = {},
): Promise<TestBed> {
  return startConnectorTestBed({
    provider: GOHIGHLEVEL,
    adapter: gohighlevelAdapter,
    emulator,
    overrides,
  });
}
