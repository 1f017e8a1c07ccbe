import net from 'node:net';
import type { FastifyRequest } from 'fastify';
import type { DbOrTrx } from '../../db/index.ts';
import { authenticate } from '../accounts/users.ts';
import { parseCidr, type Config } from '../config/index.ts';
import { bearerToken } from './auth.ts';

/**
 * Who may see operational detail (/metrics, the reasons behind /healthz): callers from loopback or INTERNAL_NETWORKS,
 * and callers with a valid API token of any role. Everyone else gets the bare status.
 */
export function internalCallerCheck(db: DbOrTrx, config: Pick<Config, 'INTERNAL_NETWORKS'>) {
  const internal = new net.BlockList();
  internal.addSubnet('127.0.0.0', 8, 'ipv4');
  internal.addAddress('::1', 'ipv6');
  for (const text of config.INTERNAL_NETWORKS) {
    const cidr = parseCidr(text);
    if (cidr) internal.addSubnet(cidr.address, cidr.bits, cidr.family);
  }
  const fromInternal = (ip: string): boolean => {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
    if (mapped) return internal.check(mapped, 'ipv4');
    const family = net.isIP(ip);
    return family !== 0 && internal.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  };
  return async (req: FastifyRequest): Promise<boolean> => {
    if (fromInternal(req.ip)) return true;
    const token = bearerToken(req);
    return token !== null && (await authenticate(db, token)) !== null;
  };
}
