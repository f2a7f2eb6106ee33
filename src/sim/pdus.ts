import { makePdu, type DeliverSmBody, type MakePduOptions, type PduOf, type SubmitSmBody } from '../smpp/index.js';

/**
 * Message PDUs with every field filled in, for simulators, benchmarks and tests. The fields an
 * application leaves at their "not used" value (service type, priority, schedule, validity,
 * replace flag, canned message) are written once here, so each caller names only what it varies.
 */

/** The sender of the samples: an alphanumeric originator (TON 5, NPI 0). */
export const SAMPLE_SENDER = 'ACME';
/** The handset of the samples: a UK mobile number in international form (TON 1, NPI 1). */
export const SAMPLE_HANDSET = '447700900123';

/**
 * A submit_sm body as an application sends one: SAMPLE_SENDER to SAMPLE_HANDSET, receipt
 * requested, default alphabet, text "hello"; `fields` override any of it.
 */
export function submitSmBody(fields: Partial<SubmitSmBody> = {}): SubmitSmBody {
  return {
    service_type: '',
    source_addr_ton: 5,
    source_addr_npi: 0,
    source_addr: SAMPLE_SENDER,
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: SAMPLE_HANDSET,
    esm_class: 0,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: '',
    validity_period: '',
    registered_delivery: 1,
    replace_if_present_flag: 0,
    data_coding: 0,
    sm_default_msg_id: 0,
    short_message: Buffer.from('hello'),
    ...fields,
  };
}

export function submitSmPdu(fields: Partial<SubmitSmBody> = {}, options: MakePduOptions = {}): PduOf<'submit_sm'> {
  return makePdu('submit_sm', submitSmBody(fields), options);
}

/**
 * A deliver_sm body the way a carrier sends one: from SAMPLE_HANDSET back to SAMPLE_SENDER, no
 * acknowledgement requested, esm_class 0 (a mobile-originated message; receipts pass their
 * esm_class and text); `fields` override any of it.
 */
export function deliverSmBody(fields: Partial<DeliverSmBody> = {}): DeliverSmBody {
  return submitSmBody({
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: SAMPLE_HANDSET,
    dest_addr_ton: 5,
    dest_addr_npi: 0,
    destination_addr: SAMPLE_SENDER,
    registered_delivery: 0,
    ...fields,
  });
}

export function deliverSmPdu(fields: Partial<DeliverSmBody> = {}, options: MakePduOptions = {}): PduOf<'deliver_sm'> {
  return makePdu('deliver_sm', deliverSmBody(fields), options);
}
