import { Inject, Injectable } from '@nestjs/common';
import { METRICS_REGISTRY } from '@tenantry/common';
import { Counter, Histogram, type Registry } from 'prom-client';

/** What the worker does, for Prometheus: step durations, step failures, finished operations. */
@Injectable()
export class WorkerMetrics {
  readonly stepDuration: Histogram<'kind' | 'step'>;
  readonly stepFailures: Counter<'kind' | 'step'>;
  readonly operations: Counter<'kind' | 'outcome'>;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.stepDuration = new Histogram({
      name: 'tenantry_saga_step_duration_seconds',
      help: 'Duration of each provisioning / deprovisioning saga step',
      labelNames: ['kind', 'step'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    this.stepFailures = new Counter({
      name: 'tenantry_saga_step_failures_total',
      help: 'Saga step attempts that failed',
      labelNames: ['kind', 'step'],
      registers: [registry],
    });
    this.operations = new Counter({
      name: 'tenantry_operations_finished_total',
      help: 'Operations finished by this worker, by outcome',
      labelNames: ['kind', 'outcome'],
      registers: [registry],
    });
  }
}
