import type { SessionPduInfo, SmppSession } from '../session/index.js';
import type { Direction, ProxyEvents, Side } from './events.js';

/**
 * Relays a session's PDU traffic onto the proxy's event bus with the side and peer name the
 * session itself does not know. Only attached once per session.
 */
export function attachPduEvents(session: SmppSession, events: ProxyEvents, side: Side, peer: string): void {
  session.on('pdu_in', (info) => relay(events, session, side, peer, 'in', info));
  session.on('pdu_out', (info) => relay(events, session, side, peer, 'out', info));
}

/**
 * For a customer's session, whose peer (the account) is known only once the bind succeeds:
 * PDUs up to then (the bind and its response) are held and relayed under the account name on
 * `identify`. A session that never binds is forgotten; its refusal is a bind_rejected event, so
 * unauthenticated names never become subjects.
 */
export function attachPduEventsOnceIdentified(session: SmppSession, events: ProxyEvents, side: Side): (peer: string) => void {
  let peer: string | undefined;
  let held: { direction: Direction; info: SessionPduInfo; at: number }[] | undefined = [];
  const on = (direction: Direction) => (info: SessionPduInfo): void => {
    if (peer !== undefined) relay(events, session, side, peer, direction, info);
    else if (held !== undefined && held.length < 8) held.push({ direction, info: { ...info, frame: Buffer.from(info.frame) }, at: Date.now() });
  };
  session.on('pdu_in', on('in'));
  session.on('pdu_out', on('out'));
  session.once('close', () => {
    held = undefined;
  });
  return (name: string): void => {
    peer = name;
    for (const h of held ?? []) relay(events, session, side, name, h.direction, h.info, h.at);
    held = undefined;
  };
}

function relay(events: ProxyEvents, session: SmppSession, side: Side, peer: string, direction: Direction, info: SessionPduInfo, at = Date.now()): void {
  if (events.listenerCount('pdu') === 0) return;
  events.emit('pdu', { side, peer, sessionId: session.id, direction, ...info, command: String(info.command), at });
}
