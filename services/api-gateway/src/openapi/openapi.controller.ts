// GET /openapi.json: the merged document, public like the docs page that
// reads it (/docs, set up in gateway-app.ts).
import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeController, type OpenAPIObject } from '@nestjs/swagger';
import { OpenApiService } from './openapi.service';

@ApiExcludeController()
@Controller()
export class OpenApiController {
  constructor(@Inject(OpenApiService) private readonly openApi: OpenApiService) {}

  @Get('openapi.json')
  @Header('Cache-Control', 'no-cache')
  document(): Promise<OpenAPIObject> {
    return this.openApi.document();
  }
}
