export type {Message} from './events/message.js'
export type {Settings} from './settings.js'
export {track} from './track.js'
export type {PropertyValue} from './track.js'
