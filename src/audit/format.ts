import { parseAuditEvent, type AuditEvent, type PduAuditEvent } from './schema.js';

/**
 * One line per event for a person watching the stream:
 *
 *   2026-11-22T10:15:02.114Z smpp.pdu.esme.acme.in.submit_sm  submit_sm ESME_ROK seq=11 ACME -> 447700900123 dc=0 len=11
 *   2026-11-22T10:15:02.131Z smpp.billing.acme  billing acme via cheap-uk route=uk cost=0.012 parts=1 proxy_id=01J...
 *
 * Time first (sortable), subject second (what a filter matched), then what the event says.
 */
export function formatEventLine(subject: string, data: Uint8Array | string): string {
  const parsed = parseAuditEvent(data);
  if (!parsed.ok) {
    const text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
    return `${subject}  (${parsed.reason}) ${printable(text.slice(0, 120))}`;
  }
  return `${parsed.event.ts} ${subject}  ${describe(parsed.event)}`;
}

function describe(event: AuditEvent): string {
  switch (event.type) {
    case 'pdu':
      return describePdu(event);
    case 'billing':
      return join([
        'billing',
        event.account,
        `via ${event.carrier}`,
        `route=${event.route}`,
        `cost=${event.cost}`,
        `parts=${event.parts}`,
        `to=${event.destination}`,
        `from=${event.sender_sent}${event.sender_sent !== event.sender_original ? ` (was ${event.sender_original})` : ''}`,
        `proxy_id=${event.proxy_id}`,
        `carrier_id=${event.carrier_message_id}`,
      ]);
    case 'dlr':
      return join([
        'dlr',
        event.account,
        `via ${event.carrier}`,
        `stat=${event.stat}`,
        event.err !== undefined ? `err=${event.err}` : undefined,
        `proxy_id=${event.proxy_id}`,
        `carrier_id=${event.carrier_message_id}`,
      ]);
    case 'bind':
      return join([
        'bind',
        event.side,
        event.peer,
        event.bind_type,
        event.up ? 'up' : 'down',
        `remote=${event.remote}`,
        event.reason !== undefined ? `reason=${event.reason}` : undefined,
        `session=${event.session}`,
      ]);
    case 'bind_rejected':
      return join(['bind rejected', `system_id=${event.system_id}`, `remote=${event.remote}`, `reason=${event.reason}`]);
  }
}

function describePdu(event: PduAuditEvent): string {
  const f = event.fields;
  const parts: Array<string | undefined> = [
    event.command,
    event.status_name,
    `seq=${event.seq}`,
    `session=${event.session}`,
  ];
  if (f?.source_addr !== undefined || f?.destination_addr !== undefined) {
    parts.push(`${f.source_addr ?? ''} -> ${f.destination_addr ?? ''}`);
  }
  if (f?.dest_address !== undefined) parts.push(`dests=${f.dest_address.length}`);
  if (f?.data_coding !== undefined) parts.push(`dc=${f.data_coding}`);
  if (f?.sm_length !== undefined) parts.push(`len=${f.payload_length ?? f.sm_length}`);
  if (f?.concat !== undefined) parts.push(`part=${f.concat.seq}/${f.concat.total}`);
  if (f?.message_id !== undefined && f.message_id !== '') parts.push(`message_id=${f.message_id}`);
  if (f?.receipt?.stat !== undefined) parts.push(`stat=${f.receipt.stat}`);
  if (f?.receipted_message_id !== undefined) parts.push(`receipted_id=${f.receipted_message_id}`);
  if (f?.system_id !== undefined) parts.push(`system_id=${f.system_id}`);
  if (event.proxy_id !== undefined) parts.push(`proxy_id=${event.proxy_id}`);
  if (event.carrier_message_id !== undefined) parts.push(`carrier_id=${event.carrier_message_id}`);
  if (event.decode_error !== undefined) parts.push(`decode_error=${event.decode_error}`);
  return join(parts);
}

function join(parts: ReadonlyArray<string | undefined>): string {
  return printable(parts.filter((p): p is string => p !== undefined && p !== '').join(' '));
}

/** Names and addresses come from peers: keep control characters off the terminal. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
