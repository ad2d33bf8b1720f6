// The API gateway process: reads its configuration, builds the app and
// listens on GATEWAY_HOST:GATEWAY_PORT (127.0.0.1:3000 by default).
import { Logger } from '@nestjs/common';
import { loadGatewayConfig } from './config';
import { createGatewayApp } from './gateway-app';

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  const app = await createGatewayApp(config);
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  new Logger('ApiGateway').log(
    `listening on http://${config.host}:${config.port} (upstreams: ${JSON.stringify(config.upstreams)})`,
  );
}

main().catch((error: unknown) => {
  console.error(JSON.stringify({ level: 'fatal', service: 'api-gateway', msg: String(error) }));
  process.exit(1);
});
