import type { AccountConfig, Config } from '../config/types.js';
import { rewriteSender } from '../routing/index.js';
import type { IncomingRequestOf } from '../session/index.js';
import { encodePdu, Status, type Pdu } from '../smpp/index.js';
import type { MessageStore } from '../store/index.js';
import type { CarrierPool } from '../upstream/carrier-pool.js';

export type MessageOpRequest = IncomingRequestOf<'query_sm'> | IncomingRequestOf<'cancel_sm'> | IncomingRequestOf<'replace_sm'>;

/**
 * query_sm, cancel_sm and replace_sm name a message by the proxy's id. They go to the carrier
 * that took the message, with the carrier's id in place of ours, and the answer comes back
 * with our id again. A proxy id of another account is answered ESME_RINVMSGID, exactly like an
 * unknown one, so accounts cannot probe each other's traffic. The sender goes through the same
 * rewrite the submit went through: carriers match source_addr against the message they hold.
 */
export async function forwardMessageOp(
  config: Config,
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
  const body = req.pdu.body;
  const sender = rewriteSender(config, {
    account: account.name,
    carrier: record.carrier,
    destination: record.destination,
    sender: body.source_addr,
    ton: body.source_addr_ton,
    npi: body.source_addr_npi,
  });
  const rewritten = sender.rule === undefined ? {} : { source_addr: sender.sender, source_addr_ton: sender.ton, source_addr_npi: sender.npi };
  const upstream = encodePdu({ ...req.pdu, body: { ...body, ...rewritten, message_id: record.carrierMessageId } } as Pdu);
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
