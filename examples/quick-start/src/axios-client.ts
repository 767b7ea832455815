import { attachTokenRefresh } from '@tokenflight/axios'
import axios from 'axios'
import { refresher } from './refresher.js'

export const api = axios.create({ baseURL: 'https://api.example.com' })
attachTokenRefresh(api, refresher, { origins: ['https://api.example.com'] })
