import { parseConfig, type AccountConfig, type Config } from '../../src/config/index.js';

/** A routing table with restrictions, ties, a longer premium prefix and ordered rewrite rules. */
export const ROUTING_YAML = `accounts:
  acme:
    password: pw
    allowed_ips: ["127.0.0.1"]
    routes: [uk, default, fr]
    sender_ids: ["ACME", "ACMECO", "^\\\\d{5,15}$", "^[A-Z]+-OTP$"]
  free:
    password: pw
    allowed_ips: ["127.0.0.1"]
  ukonly:
    password: pw
    allowed_ips: ["127.0.0.1"]
    routes: [uk]
carriers:
  a: { simulator: {} }
  b: { simulator: {} }
  c: { simulator: {} }
  d: { simulator: {} }
routes:
  - name: uk
    prefix: ["447"]
    carriers:
      - { carrier: a, cost: 0.0120 }
      - { carrier: b, cost: 0.0095 }
      - { carrier: c, cost: 0.0095 }
  - name: uk-premium
    prefix: ["4477"]
    carriers: [{ carrier: d, cost: 0.05 }]
  - name: default
    prefix: [""]
    carriers: [{ carrier: a, cost: 0.02 }]
  - name: fr
    prefix: ["33", "262"]
    carriers: [{ carrier: c, cost: 0.01 }, { carrier: a, cost: 0.009 }]
  - name: uk-shadow
    prefix: ["447"]
    carriers: [{ carrier: d, cost: 0.001 }]
sender_rewrite:
  - match: { account: acme, sender: "^ACME$", carrier: a }
    set: { sender: "ACMECO", ton: 5, npi: 0 }
  - match: { destination_prefix: ["33", "262"], sender: "^0(\\\\d+)$" }
    set: { replace: "33$1", ton: 1, npi: 1 }
  - match: { sender: "^(?<brand>[A-Z]+)-OTP$" }
    set: { replace: "$<brand>" }
  - match: { carrier: c, sender: "^(.+)$" }
    set: { replace: "$1$1" }
  - match: { carrier: c }
    set: { ton: 5 }
mo_routes:
  - prefix: ["447700900"]
    account: acme
  - prefix: ["4477", "33"]
    account: free
`;

export const config: Config = parseConfig(ROUTING_YAML, 'routing.yaml');

export function account(name: string): AccountConfig {
  const found = config.accounts[name];
  if (found === undefined) throw new Error(`no account ${name} in the fixture`);
  return found;
}
