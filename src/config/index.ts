export { loadConfig, parseConfig } from './load.js';
export { SCHEMA } from './keys.js';
export { ConfigError, formatProblem, type ConfigProblem } from './problems.js';
export {
  hashPassword,
  verifyPassword,
  verifyPasswordAsync,
  parsePasswordHash,
  InvalidPasswordError,
  MAX_SMPP_PASSWORD_LENGTH,
  DEFAULT_SCRYPT,
  type ScryptParameters,
} from './password.js';
export { parseDuration, formatDuration, MAX_TIMER_MS } from './duration.js';
export { IpAllowList, parseCidr, parseHostPort, formatHostPort, isLoopbackHost, type CidrBlock } from './net.js';
export { DEFAULTS } from './defaults.js';
export * from './types.js';
