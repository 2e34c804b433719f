// The server command's own options (each also an environment variable, see config.ts), apart from config.ts so that
// the flow runner can take the same ones without loading the configuration schema when it does not need it.
export const START_OPTIONS = {
  target: { type: 'string' },
  token: { type: 'string' },
  appid: { type: 'string' },
  secret: { type: 'string' },
  'aes-key': { type: 'string' },
  'allowed-hosts': { type: 'string' },
  name: { type: 'string' },
  avatar: { type: 'string' },
  'oauth-domains': { type: 'string' },
  'js-domains': { type: 'string' },
} as const;
