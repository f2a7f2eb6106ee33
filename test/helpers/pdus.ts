import type { BindCommand } from '../../src/session/index.js';
import { makePdu, type MakePduOptions, type PduOf } from '../../src/smpp/index.js';

/** A bind request as a plain ESME sends one: SMPP 3.4, no system_type, no address range. */
export function bindRequestPdu(command: BindCommand, systemId: string, password: string, options: MakePduOptions = {}): PduOf<BindCommand> {
  return makePdu(command, { system_id: systemId, password, system_type: '', interface_version: 0x34, addr_ton: 0, addr_npi: 0, address_range: '' }, options);
}
