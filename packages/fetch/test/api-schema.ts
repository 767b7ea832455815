// What openapi-typescript generates for an API with one operation, `GET /me`: the schema the README's
// openapi-fetch example is typed with.
export interface paths {
  '/me': {
    parameters: { query?: never; header?: never; path?: never; cookie?: never }
    get: {
      parameters: { query?: never; header?: never; path?: never; cookie?: never }
      requestBody?: never
      responses: {
        200: {
          headers: { [name: string]: unknown }
          content: { 'application/json': { path: string } }
        }
        401: { headers: { [name: string]: unknown }; content?: never }
      }
    }
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
}
