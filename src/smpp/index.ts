export * from './commands.js';
export * from './status.js';
export * from './errors.js';
export * from './tlv.js';
export * from './pdu.js';
export * from './framing.js';
export * from './decode.js';
export * from './encode.js';
