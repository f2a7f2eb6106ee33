import type { BindCommand } from '../../src/session/index.js';
import { submitSmBody } from '../../src/sim/pdus.js';
import {
  makePdu,
  type CancelSmBody,
  type DataSmBody,
  type DestAddress,
  type MakePduOptions,
  type PduOf,
  type QuerySmBody,
  type ReplaceSmBody,
  type SubmitMultiBody,
} from '../../src/smpp/index.js';

/*
 * The other PDUs an ESME sends, with the addresses and flags of submitSmBody() (SAMPLE_SENDER to
 * SAMPLE_HANDSET, receipt requested) wherever they have the same field; `fields` override them.
 */

/** A bind request as a plain ESME sends one: SMPP 3.4, no system_type, no address range. */
export function bindRequestPdu(command: BindCommand, systemId: string, password: string, options: MakePduOptions = {}): PduOf<BindCommand> {
  return makePdu(command, { system_id: systemId, password, system_type: '', interface_version: 0x34, addr_ton: 0, addr_npi: 0, address_range: '' }, options);
}

export function submitMultiPdu(destinations: DestAddress[], fields: Partial<Omit<SubmitMultiBody, 'dest_address'>> = {}): PduOf<'submit_multi'> {
  const { service_type, source_addr_ton, source_addr_npi, source_addr, dest_addr_ton: _ton, dest_addr_npi: _npi, destination_addr: _to, ...rest } =
    submitSmBody(fields);
  return makePdu('submit_multi', { service_type, source_addr_ton, source_addr_npi, source_addr, dest_address: destinations, ...rest });
}

export function dataSmPdu(fields: Partial<DataSmBody> = {}, options: MakePduOptions = {}): PduOf<'data_sm'> {
  const body = submitSmBody(fields);
  return makePdu(
    'data_sm',
    {
      service_type: body.service_type,
      source_addr_ton: body.source_addr_ton,
      source_addr_npi: body.source_addr_npi,
      source_addr: body.source_addr,
      dest_addr_ton: body.dest_addr_ton,
      dest_addr_npi: body.dest_addr_npi,
      destination_addr: body.destination_addr,
      esm_class: body.esm_class,
      registered_delivery: body.registered_delivery,
      data_coding: body.data_coding,
    },
    options,
  );
}

export function querySmPdu(messageId: string, fields: Partial<Omit<QuerySmBody, 'message_id'>> = {}): PduOf<'query_sm'> {
  const body = submitSmBody(fields);
  return makePdu('query_sm', {
    message_id: messageId,
    source_addr_ton: body.source_addr_ton,
    source_addr_npi: body.source_addr_npi,
    source_addr: body.source_addr,
  });
}

export function cancelSmPdu(messageId: string, fields: Partial<Omit<CancelSmBody, 'message_id'>> = {}): PduOf<'cancel_sm'> {
  const body = submitSmBody(fields);
  return makePdu('cancel_sm', {
    service_type: body.service_type,
    message_id: messageId,
    source_addr_ton: body.source_addr_ton,
    source_addr_npi: body.source_addr_npi,
    source_addr: body.source_addr,
    dest_addr_ton: body.dest_addr_ton,
    dest_addr_npi: body.dest_addr_npi,
    destination_addr: body.destination_addr,
  });
}

export function replaceSmPdu(messageId: string, fields: Partial<Omit<ReplaceSmBody, 'message_id'>> = {}): PduOf<'replace_sm'> {
  const body = submitSmBody(fields);
  return makePdu('replace_sm', {
    message_id: messageId,
    source_addr_ton: body.source_addr_ton,
    source_addr_npi: body.source_addr_npi,
    source_addr: body.source_addr,
    schedule_delivery_time: body.schedule_delivery_time,
    validity_period: body.validity_period,
    registered_delivery: body.registered_delivery,
    sm_default_msg_id: body.sm_default_msg_id,
    short_message: body.short_message,
  });
}
