/**
 * `nf-train export`: a saved model with weight standardization folded into plain conv kernels
 * (@nf/ws-conv `foldWeightStandardization`), for inference without re-standardizing every
 * kernel on each forward pass. The outputs equal the trained model's within float error (tested).
 */
import { loadModel, saveModel } from '@nf/models/node';
import { foldWeightStandardization } from '@nf/ws-conv';

export async function exportModel(from: string, to: string): Promise<void> {
  const model = await loadModel(from);
  try {
    const folded = await foldWeightStandardization(model);
    try {
      await saveModel(folded, to);
    } finally {
      folded.dispose();
    }
  } finally {
    model.dispose();
  }
}
