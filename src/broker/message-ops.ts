import type { AccountConfig } from '../config/types.js';
import type { IncomingRequestOf } from '../session/index.js';
import { encodePdu, Status, type Pdu } from '../smpp/index.js';
import type { MessageStore } from '../store/index.js';
import type { CarrierPool } from '../upstream/carrier-pool.js';

export type MessageOpRequest = IncomingRequestOf<'query_sm'> | IncomingRequestOf<'cancel_sm'> | IncomingRequestOf<'replace_sm'>;

/**
 * query_sm, cancel_sm and replace_sm name a message by the proxy's id. They go to the carrier
 * that took the message, with the carrier's id in place of ours, and the answer comes back
 * with our id again. A proxy id of another account is answered ESME_RINVMSGID, exactly like an
 * unknown one, so accounts cannot probe each other's traffic.
 */
export async function forwardMessageOp(
  account: AccountConfig,
  req: MessageOpRequest,
  messages: MessageStore,
  pools: ReadonlyMap<string, CarrierPool>,
): Promise<void> {
  const proxyId = req.pdu.body.message_id;
  const record = await messages.getByProxyId(proxyId);
  if (record === undefined || record.account !== account.name) {
    req.respond(Status.ESME_RINVMSGID);
    return;
  }
  const pool = pools.get(record.carrier);
  if (pool === undefined) {
    req.respond(Status.ESME_RSYSERR);
    return;
  }
  const upstream = encodePdu({ ...req.pdu, body: { ...req.pdu.body, message_id: record.carrierMessageId } } as Pdu);
  // These do not count against the carrier's submit throughput or circuit breaker.
  const outcome = await pool.send(upstream, { bypassLimits: true });
  if (req.responded) return;
  if (outcome.kind !== 'response') {
    req.respond(outcome.kind === 'failed' && outcome.status !== undefined ? outcome.status : Status.ESME_RMSGQFUL);
    return;
  }
  const resp = outcome.pdu;
  if (resp.command === 'query_sm_resp' && resp.status === Status.ESME_ROK && req.command === 'query_sm') {
    req.respond(resp.status, { ...resp.body, message_id: proxyId }, resp.tlvs);
    return;
  }
  req.respond(resp.status);
}
