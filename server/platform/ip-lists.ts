// getcallbackip and get_api_domain_ip: on the platform, the addresses WeChat pushes from and the addresses of
// api.weixin.qq.com, which servers put in their allowlists. Here both are this machine's: the simulator pushes
// from it and answers the API on it, so an allowlist built from either answer lets the simulator through.
import { networkInterfaces } from 'node:os';

/** This machine's IPv4 addresses, loopback first (pushes to a server on the same machine come from it). */
export function machineIps(): { ip_list: string[] } {
  const addresses = Object.values(networkInterfaces())
    .flatMap((entries) => entries ?? [])
    .filter((entry) => entry.family === 'IPv4')
    .sort((a, b) => Number(b.internal) - Number(a.internal))
    .map((entry) => entry.address);
  return { ip_list: [...new Set(['127.0.0.1', ...addresses])] };
}
