import { tokenRefreshHooks } from '@tokenflight/ky'
import ky from 'ky'
import { refresher } from './refresher.js'

export const api = ky.create({
  prefix: 'https://api.example.com',
  hooks: tokenRefreshHooks(refresher, { origins: ['https://api.example.com'] }),
})
