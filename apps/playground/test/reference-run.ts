/**
 * The run both the Node and the browser tests take: a small NFNet for Fashion-MNIST, batch 8, a few
 * steps from seed 0 — small enough for the cpu backend and for SwiftShader's emulated GPU.
 */
import type { RasterDataset } from '@nf/trainer/step';
import { TrainingSession, type SessionOptions, type StepMetrics } from '../src/session.js';

export const REFERENCE_RUN = { model: 'nfnet_tiny_mnist', batchSize: 8, steps: 3, seed: 0 } as const;

/** The reference run's step metrics on the current backend. */
export async function referenceLosses(train: RasterDataset, test: RasterDataset, options: Partial<SessionOptions> = {}, steps: number = REFERENCE_RUN.steps): Promise<StepMetrics[]> {
  const s = new TrainingSession(train, test, { seed: REFERENCE_RUN.seed, batchSize: REFERENCE_RUN.batchSize, model: REFERENCE_RUN.model, plannedSteps: steps, ...options });
  try {
    const out: StepMetrics[] = [];
    for (let i = 0; i < steps; i++) out.push(await s.trainStep());
    return out;
  } finally {
    s.dispose();
  }
}
