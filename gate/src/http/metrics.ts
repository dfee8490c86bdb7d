// Gate metrics (prom-client). Labels are event ids at most, never per shopper.
import { createRegistry, prom } from '@sluice/shared';

export function createGateMetrics(sockets: () => number) {
  const registry = createRegistry('gate');
  new prom.Gauge({
    name: 'sluice_gate_sockets',
    help: 'Open WebSockets held by this gate process',
    registers: [registry],
    collect() {
      this.set(sockets());
    },
  });
  return {
    registry,
    queueLength: new prom.Gauge({
      name: 'sluice_gate_queue_length',
      help: 'Shoppers waiting (line plus pre-queue), from the last state frame',
      labelNames: ['event'],
      registers: [registry],
    }),
    admitted: new prom.Counter({
      name: 'sluice_gate_admitted_total',
      help: 'Shoppers admitted by this process while it led the event',
      labelNames: ['event'],
      registers: [registry],
    }),
    admissionRate: new prom.Gauge({
      name: 'sluice_gate_admission_rate',
      help: 'Shoppers admitted per second (smoothed), from the last state frame',
      labelNames: ['event'],
      registers: [registry],
    }),
    tickSeconds: new prom.Histogram({
      name: 'sluice_gate_tick_seconds',
      help: 'Duration of one admission tick of one event',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    tickLateSeconds: new prom.Histogram({
      name: 'sluice_gate_tick_late_seconds',
      help: 'How late an admission tick started against its schedule (busy event loop)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    joinSeconds: new prom.Histogram({
      name: 'sluice_gate_join_seconds',
      help: 'Time from a join message to the welcome',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    admitGaps: new prom.Counter({
      name: 'sluice_gate_admit_gaps_total',
      help: 'Jumps in an admit channel sequence: admission messages this process missed',
      registers: [registry],
    }),
    recovered: new prom.Counter({
      name: 'sluice_gate_admissions_recovered_total',
      help: 'Tickets delivered by a re-check instead of an admit message, by what found them (gap, served, periodic)',
      labelNames: ['why'],
      registers: [registry],
    }),
    recheckErrors: new prom.Counter({
      name: 'sluice_gate_recheck_errors_total',
      help: 'Admission re-checks that failed (Redis not answering)',
      registers: [registry],
    }),
    tickets: new prom.Counter({
      name: 'sluice_gate_tickets_signed_total',
      help: 'Admission tickets signed by this process',
      registers: [registry],
    }),
  };
}

export type GateMetrics = ReturnType<typeof createGateMetrics>;
