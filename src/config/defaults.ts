/**
 * Every default in one place, so the code and the README configuration reference cannot drift apart quietly
 * (test/config checks the reference table against these values). Durations are milliseconds.
 */
export const DEFAULTS = {
  server: {
    listen: '0.0.0.0:2775',
    tlsListen: '0.0.0.0:3550',
    tlsClientAuth: false,
    systemId: 'SMPPPROXY',
    maxConnections: 1_000,
    maxConnectionsPerIp: 50,
    // message_payload may carry 65,536 bytes; the rest is header, fixed fields and other TLVs.
    maxPduSize: 70_000,
    // A bind PDU is at most 98 bytes; anything much larger before bind is not SMPP.
    maxPduSizeBeforeBind: 512,
    enquireLinkInterval: 30_000,
    inactivityTimeout: 120_000,
    sessionInitTimeout: 10_000,
    responseTimeout: 10_000,
    unbindTimeout: 5_000,
    partialPduTimeout: 10_000,
    window: 10,
    shutdownTimeout: 30_000,
    bindLockout: { failures: 5, window: 60_000, duration: 300_000 },
  },
  admin: { listen: '127.0.0.1:9090' },
  store: { path: './data', receiptTtl: 72 * 3_600_000, moTtl: 72 * 3_600_000, idMapTtl: 7 * 86_400_000 },
  nats: {
    enabled: true,
    servers: ['nats://127.0.0.1:4222'],
    subjectPrefix: 'smpp',
    stream: { name: 'SMPP', replicas: 1, maxAge: 30 * 86_400_000, duplicateWindow: 120_000 },
    outboxMaxEvents: 1_000_000,
  },
  log: { level: 'info', pretty: false },
  account: { maxBinds: 2, throughput: 0, requireTls: false },
  carrier: {
    bind: 'transceiver',
    receiverSessions: 1,
    sessions: 1,
    window: 10,
    throughput: 0,
    enquireLinkInterval: 30_000,
    responseTimeout: 10_000,
    reconnect: { initial: 1_000, max: 60_000 },
    tlsVerify: true,
    messageIdFormat: 'auto',
    circuitBreaker: { failures: 5, cooldown: 30_000 },
    systemType: '',
  },
  simulator: { dlrStatus: 'DELIVRD', dlrDelay: 1_000, failRatio: 0, failStatus: 0x08, messageIdFormat: 'hex', throughput: 0 },
} as const;
