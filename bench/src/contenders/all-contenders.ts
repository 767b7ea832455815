import { axiosAuthRefreshContenders } from './axios-auth-refresh.js'
import { axiosJwtContender } from './axios-jwt.js'
import type { ContenderDefinition } from './contender.js'
import { naiveRetryFetchContender } from './naive-retry-fetch.js'
import { oauth2FetchContender } from './oauth2-fetch.js'
import { tokenflightContenders } from './tokenflight.js'

/** Every contender of the correctness scenarios, tokenflight's rows first. */
export const allContenders: ContenderDefinition[] = [
  ...tokenflightContenders,
  ...axiosAuthRefreshContenders,
  oauth2FetchContender,
  axiosJwtContender,
  naiveRetryFetchContender,
]
