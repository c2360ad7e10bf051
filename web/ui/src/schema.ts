// The API's types, generated from web/openapi.json into api.gen.ts by
// openapi-typescript (`npm run api-types`; a test fails when the file is not
// current). Schema<'Order'> is the Order the server sends.
import type { components } from './api.gen'

export type Schema<N extends keyof components['schemas']> = components['schemas'][N]
