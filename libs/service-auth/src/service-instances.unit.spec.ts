import { createServer, type Server } from 'node:http';
import { ServiceInstances, serviceInstanceUrls } from './service-instances';

function listen(name: string): Promise<{ server: Server; url: string; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((request, response) => {
    hits.push(`${request.method} ${request.url}`);
    response.end(name);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({ server, url: `http://127.0.0.1:${port}`, hits });
    }),
  );
}

/** A URL nobody listens on: a server's, once it has closed. */
async function closedUrl(): Promise<string> {
  const { server, url } = await listen('gone');
  await new Promise((r) => server.close(r));
  return url;
}

describe('ServiceInstances', () => {
  it('reads one URL or several, comma-separated, without trailing slashes', () => {
    expect(serviceInstanceUrls('http://a:1/')).toEqual(['http://a:1']);
    expect(serviceInstanceUrls(' http://a:1 , http://b:2/,')).toEqual(['http://a:1', 'http://b:2']);
    expect(() => serviceInstanceUrls(' , ')).toThrow('no service URL');
  });

  it('takes the instances in turn', async () => {
    const [a, b] = [await listen('a'), await listen('b')];
    try {
      const instances = new ServiceInstances(`${a.url},${b.url}`);
      const answers: string[] = [];
      for (let i = 0; i < 4; i++) answers.push(await (await instances.fetch('/x')).text());
      expect(answers).toEqual(['a', 'b', 'a', 'b']);
    } finally {
      a.server.close();
      b.server.close();
    }
  });

  it('sends a request an instance refused (it is down) to the next one, a write included, once', async () => {
    const up = await listen('up');
    try {
      const instances = new ServiceInstances(`${await closedUrl()},${up.url}`);
      for (let i = 0; i < 3; i++) {
        const response = await instances.fetch('/contacts', { method: 'PUT', body: '{}' });
        expect(await response.text()).toBe('up');
      }
      expect(up.hits).toEqual(['PUT /contacts', 'PUT /contacts', 'PUT /contacts']);
    } finally {
      up.server.close();
    }
  });

  it('throws the refusal when every instance is down, and any other failure at once', async () => {
    const instances = new ServiceInstances(`${await closedUrl()},${await closedUrl()}`);
    await expect(instances.fetch('/x')).rejects.toThrow('fetch failed');

    let calls = 0;
    const failing = new ServiceInstances('http://a:1,http://b:2', (async () => {
      calls++;
      throw new Error('timed out');
    }) as typeof fetch);
    await expect(failing.fetch('/x')).rejects.toThrow('timed out');
    expect(calls).toBe(1);
  });
});
