import type { SmppSession } from '../session/index.js';
import type { ProxyEvents, Side } from './events.js';

/**
 * Relays a session's PDU traffic onto the proxy's event bus with the side and peer name the
 * session itself does not know. Only attached once per session.
 */
export function attachPduEvents(session: SmppSession, events: ProxyEvents, side: Side, peer: string): void {
  session.on('pdu_in', (info) => {
    if (events.listenerCount('pdu') === 0) return;
    events.emit('pdu', { side, peer, sessionId: session.id, direction: 'in', ...info, command: String(info.command), at: Date.now() });
  });
  session.on('pdu_out', (info) => {
    if (events.listenerCount('pdu') === 0) return;
    events.emit('pdu', { side, peer, sessionId: session.id, direction: 'out', ...info, command: String(info.command), at: Date.now() });
  });
}
