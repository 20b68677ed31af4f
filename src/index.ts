export type {Message} from './events/message.js'
export type {Settings} from './settings.js'
