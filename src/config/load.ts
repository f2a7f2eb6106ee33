import { readFileSync } from 'node:fs';
import { LineCounter, isMap, parseDocument, type Node } from 'yaml';
import { deepFreeze } from './freeze.js';
import { ConfigError, type ConfigProblem } from './problems.js';
import { Checker, MapView } from './reader.js';
import { SCHEMA } from './keys.js';
import { References } from './references.js';
import { ACCOUNT_NAME, readAccount } from './sections/accounts.js';
import { CARRIER_NAME, readCarrier } from './sections/carriers.js';
import { readMoRoutes, readRoutes, readSenderRewrite } from './sections/routing.js';
import { readServer } from './sections/server.js';
import { readAdmin, readLog, readNats, readStore } from './sections/services.js';
import type { AccountConfig, CarrierConfig, Config } from './types.js';

/** Reads and validates a configuration file. Throws ConfigError listing every problem found. */
export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError([{ file, line: 0, col: 0, path: '', message: `cannot read the configuration file (${reason})` }]);
  }
  return parseConfig(text, file);
}

/**
 * Validates YAML text; `fileName` is only used in problem reports. Returns a deep-frozen Config
 * or throws one ConfigError with all problems, sorted by position in the file.
 */
export function parseConfig(text: string, fileName: string): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  const c = new Checker(fileName, doc, lines);
  for (const error of doc.errors) {
    const message = error.code === 'DUPLICATE_KEY' ? 'duplicate key (each key may appear once in a mapping)' : `YAML syntax: ${error.message}`;
    c.report(error.pos[0], '', message);
  }
  // After a syntax error the tree may not be what the author meant; checking it would only add noise.
  if (doc.errors.some((e) => e.code !== 'DUPLICATE_KEY')) throw new ConfigError(c.problems());

  const root = c.resolve(doc.contents as Node | null, '');
  if (root === undefined || !isMap(root)) {
    c.report(root ?? 0, '', root === undefined ? 'the configuration is empty' : 'the configuration must be a mapping of sections (server, accounts, carriers, routes, ...)');
    throw new ConfigError(c.problems());
  }
  const config = readConfig(c, MapView.of(c, root, '', SCHEMA['']), fileName);
  if (c.problemCount > 0) throw new ConfigError(c.problems());
  return deepFreeze(config);
}

function readConfig(c: Checker, top: MapView, file: string): Config {
  const refs = new References();
  const server = readServer(c, top.map('server', SCHEMA.server));
  const admin = readAdmin(c, top.map('admin', SCHEMA.admin));
  const store = readStore(top.map('store', SCHEMA.store));
  const nats = readNats(c, top.map('nats', SCHEMA.nats));
  const log = readLog(top.map('log', SCHEMA.log));

  const accounts: Record<string, AccountConfig> = Object.create(null);
  const accountMap = requiredNames(c, top, 'accounts');
  for (const name of accountMap.keys()) {
    checkName(c, accountMap, name, ACCOUNT_NAME, 'account');
    accounts[name] = readAccount(c, name, accountMap.map(name, SCHEMA['accounts.<name>']), refs, server);
  }

  const carriers: Record<string, CarrierConfig> = Object.create(null);
  const carrierMap = requiredNames(c, top, 'carriers');
  for (const name of carrierMap.keys()) {
    checkName(c, carrierMap, name, CARRIER_NAME, 'carrier');
    carriers[name] = readCarrier(c, name, carrierMap.map(name, SCHEMA['carriers.<name>']));
  }

  const routes = readRoutes(c, top.node('routes'), top.child('routes'), refs);
  if (!top.present('routes')) top.report(undefined, 'missing required key: routes');
  else if (routes.length === 0 && !c.failed('routes')) top.report('routes', 'must define at least one route');
  const senderRewrite = readSenderRewrite(c, top.node('sender_rewrite'), top.child('sender_rewrite'), refs);
  const { routes: moRoutes, accountNodes } = readMoRoutes(c, top.node('mo_routes'), top.child('mo_routes'), refs);

  refs.check(c, { account: Object.keys(accounts), carrier: Object.keys(carriers), route: routes.map((r) => r.name) });
  const config: Config = { file, server, admin, store, nats, log, accounts, carriers, routes, senderRewrite, moRoutes };
  checkMoAccounts(c, config, accountNodes);
  return config;
}

/** accounts and carriers: a non-empty mapping of names. */
function requiredNames(c: Checker, top: MapView, key: 'accounts' | 'carriers'): MapView {
  const view = top.map(key, null);
  if (!top.present(key)) top.report(undefined, `missing required key: ${key}`);
  else if (view.keys().length === 0 && !c.failed(key)) top.report(key, `must define at least one ${key === 'accounts' ? 'account' : 'carrier'}`);
  return view;
}

function checkName(c: Checker, parent: MapView, name: string, rule: { re: RegExp; what: string }, kind: string): void {
  if (!rule.re.test(name)) c.report(parent.locateKey(name), parent.child(name), `${kind} name ${JSON.stringify(name)} is not valid: expected ${rule.what}`);
}

/**
 * An account that mo_routes names must be allowed a receiver or transceiver bind, or its MO
 * could never be delivered. Checked once both sections are read.
 */
function checkMoAccounts(c: Checker, config: Config, accountNodes: ReadonlyArray<Node | undefined>): void {
  config.moRoutes.forEach((route, index) => {
    const account = config.accounts[route.account];
    if (account === undefined || account.bindTypes.some((t) => t === 'receiver' || t === 'transceiver')) return;
    c.report(accountNodes[index], `mo_routes[${index}].account`, `account "${route.account}" may not bind as receiver or transceiver, so MO routed to it could never be delivered`, false);
  });
}

export type { ConfigProblem };
