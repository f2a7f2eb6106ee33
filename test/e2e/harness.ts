import { connect, type Socket } from 'node:net';
import type { Config } from '../../src/config/index.js';
import { SmppSession, type BindType, type IncomingRequestOf } from '../../src/session/index.js';
import {
  findTlv,
  isReceipt,
  parseReceiptText,
  receiptedMessageIdOf,
  Status,
  TlvTag,
  type PduOf,
  type SubmitSmBody,
  type Tlv,
} from '../../src/smpp/index.js';
import type { CarrierSimulator, SubmitRecord } from '../../src/sim/carrier-sim.js';
import type { CarrierSimulatorOptions } from '../../src/sim/options.js';
import { submitSmPdu } from '../../src/sim/pdus.js';
import { track } from '../helpers/cleanup.js';
import { DeliveryLog } from '../helpers/delivery-log.js';
import { PASSWORD, loopbackAccount, startCarrierSim, testConfig } from '../helpers/proxy.js';

export { cleanupAll, tempDir, track } from '../helpers/cleanup.js';
export { sleep, waitFor } from '../helpers/wait.js';
export {
  CARRIER_PASSWORD,
  NO_BREAKER,
  PASSWORD,
  remoteCarrier,
  silentLogger,
  startProxy,
  waitForBound,
  waitForUnbound,
  type RunningProxy,
} from '../helpers/proxy.js';

// ---------------------------------------------------------------------------------- carriers

/**
 * A simulated carrier the proxy reaches over loopback like a real SMSC, so a test can stop,
 * restart and reconfigure it. It only accepts the credentials remoteCarrier() puts in the config.
 */
export async function startCarrier(systemId: string, options: CarrierSimulatorOptions = {}): Promise<CarrierSimulator> {
  return startCarrierSim(systemId, { receiptDelayMs: 50, receiptRetryMs: 200, ...options });
}

/** short_message of a submit a carrier recorded; data_sm has none. */
export function shortMessageOf(record: SubmitRecord): Buffer {
  if (record.pdu.command !== 'submit_sm') throw new Error(`expected a submit_sm, got ${record.pdu.command}`);
  return record.pdu.body.short_message;
}

// ---------------------------------------------------------------------------------- proxy

/** A YAML mapping of an account that may bind from loopback. */
export function account(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return loopbackAccount({ max_binds: 4, ...extra });
}

/**
 * A config from the given sections (YAML mappings as objects), on the loaded path a real file
 * takes: listening on a free loopback port, no admin listener, NATS off.
 */
export function makeConfig(sections: Record<string, unknown>, storePath = 'store-path-unused-by-this-test'): Config {
  return testConfig(sections, { systemId: 'E2EPROXY', fileName: 'e2e.yaml', storePath });
}

// ---------------------------------------------------------------------------------- ESMEs

export type Delivery = IncomingRequestOf<'deliver_sm'>;
/** Decides the deliver_sm_resp status for each delivery an ESME receives; undefined leaves it for the test to answer. */
export type DeliveryAnswer = (delivery: Delivery, index: number) => number | undefined;

/**
 * A customer's ESME bound to the proxy with our own session layer. It records every deliver_sm
 * it receives and answers each with what `answer` says (ESME_ROK by default).
 */
export class TestEsme {
  private readonly received = new DeliveryLog<Delivery>();
  answer: DeliveryAnswer = () => Status.ESME_ROK;

  private constructor(readonly session: SmppSession) {
    session.on('request', (req) => {
      if (req.command !== 'deliver_sm') {
        if (!req.responded && req.command !== 'alert_notification' && req.command !== 'outbind') req.respond(Status.ESME_RINVCMDID);
        return;
      }
      const delivery = req as Delivery;
      const index = this.received.items.length;
      this.received.add(delivery);
      const status = this.answer(delivery, index);
      if (status !== undefined) delivery.respond(status, { message_id: '' });
    });
  }

  get deliveries(): readonly Delivery[] {
    return this.received.items;
  }

  /**
   * Connects and binds. The delivery handler is attached before the bind is sent: a proxy
   * holding queued receipts sends them right behind the bind_resp, often in the same TCP segment.
   */
  static async bind(
    port: number,
    systemId: string,
    options: { password?: string; bindType?: BindType; answer?: DeliveryAnswer } = {},
  ): Promise<TestEsme> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
    const session = new SmppSession(socket, { role: 'esme', enquireLinkIntervalMs: 0, responseTimeoutMs: 15_000, windowSize: 64 });
    const esme = new TestEsme(session);
    if (options.answer) esme.answer = options.answer;
    try {
      await session.bind(options.bindType ?? 'transceiver', { system_id: systemId, password: options.password ?? PASSWORD });
    } catch (error) {
      session.close('bind failed');
      throw error;
    }
    track(() => esme.close());
    return esme;
  }

  /** Sends a submit_sm and resolves with its response, whatever the status. */
  async submit(fields: Partial<SubmitSmBody> = {}, tlvs: Tlv[] = []): Promise<PduOf<'submit_sm_resp'>> {
    const pending = this.session.request(submitSmPdu(fields, { tlvs }));
    if (pending === null) throw new Error('the ESME window is full');
    return pending;
  }

  /** Resolves once `count` deliveries have arrived in total. */
  async waitForDeliveries(count: number, timeoutMs = 5_000): Promise<readonly Delivery[]> {
    return this.received.waitForCount(count, timeoutMs);
  }

  /** Resolves with the first delivery (received already or later) that `match` accepts. */
  async waitForDelivery(match: (delivery: Delivery) => boolean, timeoutMs = 5_000): Promise<Delivery> {
    return this.received.waitForMatch(match, timeoutMs);
  }

  async close(): Promise<void> {
    if (!this.session.isClosed) await this.session.unbind();
  }
}

export interface ReceiptView {
  /** receipted_message_id, when the TLV is present. */
  tlvId: string | undefined;
  /** The id in the receipt text. */
  textId: string | undefined;
  stat: string | undefined;
}

/** The ids and stat a customer reads from a receipt, or undefined when the delivery is not one. */
export function readReceiptView(delivery: Delivery): ReceiptView | undefined {
  const body = delivery.pdu.body;
  if (!isReceipt(body.esm_class)) return undefined;
  const text = body.short_message.length > 0 ? body.short_message : findTlv(delivery.pdu.tlvs, TlvTag.message_payload)?.value;
  const parsed = text === undefined ? undefined : parseReceiptText(text);
  return { tlvId: receiptedMessageIdOf(delivery.pdu.tlvs), textId: parsed?.id, stat: parsed?.stat };
}

/** A matcher for waitForDelivery: the receipt for `proxyId`, by TLV or text. */
export function receiptFor(proxyId: string): (delivery: Delivery) => boolean {
  return (delivery) => {
    const view = readReceiptView(delivery);
    return view !== undefined && (view.tlvId === proxyId || view.textId === proxyId);
  };
}

/** The error a failed bind rejects with, or undefined when the bind succeeded (and was undone). */
export async function bindError(
  port: number,
  systemId: string,
  password: string,
  bindType: BindType = 'transceiver',
): Promise<{ code: string; status: number | undefined } | undefined> {
  try {
    const esme = await TestEsme.bind(port, systemId, { password, bindType });
    await esme.close();
    return undefined;
  } catch (error) {
    const e = error as { code?: string; status?: number };
    return { code: e.code ?? String(error), status: e.status };
  }
}
