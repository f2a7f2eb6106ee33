import type { BindCommand } from '../../src/session/index.js';
import { submitSmBody } from '../../src/sim/pdus.js';
import { makePdu, type DestAddress, type MakePduOptions, type PduOf, type SubmitMultiBody } from '../../src/smpp/index.js';

/** A bind request as a plain ESME sends one: SMPP 3.4, no system_type, no address range. */
export function bindRequestPdu(command: BindCommand, systemId: string, password: string, options: MakePduOptions = {}): PduOf<BindCommand> {
  return makePdu(command, { system_id: systemId, password, system_type: '', interface_version: 0x34, addr_ton: 0, addr_npi: 0, address_range: '' }, options);
}

/** A submit_multi to `destinations` with submitSmBody's defaults for every other field; `fields` override them. */
export function submitMultiPdu(destinations: DestAddress[], fields: Partial<Omit<SubmitMultiBody, 'dest_address'>> = {}): PduOf<'submit_multi'> {
  const { service_type, source_addr_ton, source_addr_npi, source_addr, dest_addr_ton: _ton, dest_addr_npi: _npi, destination_addr: _to, ...rest } =
    submitSmBody(fields);
  return makePdu('submit_multi', { service_type, source_addr_ton, source_addr_npi, source_addr, dest_address: destinations, ...rest });
}
