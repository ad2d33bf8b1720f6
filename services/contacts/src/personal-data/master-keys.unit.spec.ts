import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMasterKeys, parseMasterKeys } from './master-keys';

const key = () => randomBytes(32).toString('base64');

describe('master keys', () => {
  it('reads "id:base64" entries, the first one current', () => {
    const keys = parseMasterKeys(`new:${key()}, old:${key()}`);
    expect(keys.currentId).toBe('new');
    expect([...keys.byId.keys()]).toEqual(['new', 'old']);
  });

  it('refuses malformed settings without echoing key material', () => {
    const short = randomBytes(16).toString('base64');
    expect(() => parseMasterKeys(`a:${short}`)).toThrow(/32 bytes/);
    expect(() => parseMasterKeys(`a:${short}`)).not.toThrow(new RegExp(short.slice(0, 10)));
    expect(() => parseMasterKeys(key())).toThrow(/keyId:base64/);
    expect(() => parseMasterKeys(`a:${key()},a:${key()}`)).toThrow(/twice/);
    expect(() => parseMasterKeys(' , ')).toThrow(/no key/);
  });

  it('generates a development key once, readable by its owner only, and warns', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'contacts-keys-')), 'contacts-master-key');
    const warnings: string[] = [];
    const first = loadMasterKeys(
      { masterKeys: undefined, environment: 'development' },
      (w) => warnings.push(w),
      file,
    );
    const second = loadMasterKeys(
      { masterKeys: undefined, environment: 'development' },
      () => undefined,
      file,
    );
    expect(second.byId.get(second.currentId)).toEqual(first.byId.get(first.currentId));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(warnings).toHaveLength(1);
    const material = readFileSync(file, 'utf8').split(':')[1].trim();
    expect(warnings[0]).not.toContain(material);
  });

  it('refuses to invent a key in production', () => {
    expect(() =>
      loadMasterKeys({ masterKeys: undefined, environment: 'production' }, () => undefined),
    ).toThrow(/must be set in production/);
  });
});
