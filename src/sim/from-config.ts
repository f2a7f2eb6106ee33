import type { SimulatorConfig } from '../config/types.js';
import { CarrierSimulator } from './carrier-sim.js';
import type { CarrierSimulatorOptions, SimBehaviour } from './options.js';

/** Everything but the behaviour, which the YAML `simulator:` section decides. */
export type SimulatorRuntimeOptions = Omit<CarrierSimulatorOptions, keyof SimBehaviour | 'messageIdFormat'> & {
  /** Seed for fail_ratio, so a sandbox fails the same submits on every run; random when absent. */
  seed?: number;
};

/** The behaviour a YAML `simulator:` section describes, in simulator terms. */
export function behaviourFromConfig(config: SimulatorConfig, seed?: number): Partial<SimBehaviour> {
  return {
    receiptStatus: config.dlrStatus,
    receiptDelayMs: config.dlrDelay,
    throughput: config.throughput,
    failure: config.failRatio > 0 ? { ratio: config.failRatio, status: config.failStatus, ...(seed === undefined ? {} : { seed }) } : null,
  };
}

/** A simulator (not started) behaving as a sandbox carrier's `simulator:` section says. */
export function simulatorFromConfig(config: SimulatorConfig, options: SimulatorRuntimeOptions = {}): CarrierSimulator {
  const { seed, ...rest } = options;
  return new CarrierSimulator({ ...rest, ...behaviourFromConfig(config, seed), messageIdFormat: config.messageIdFormat });
}
