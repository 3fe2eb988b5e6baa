/**
 * Which parameters get weight decay and AGC (deepmind-research experiment_nfnets.py `_make_opt`):
 * no weight decay on gains, biases, skip gains and normalisation scales/offsets; AGC on everything
 * but the classifier's weight (DeepMind's `fc_weights` group, `clipping: None`; its bias is clipped,
 * as there — timm's train.py instead leaves the head's weight and bias out of AGC). And which train
 * in the head-only epochs (`headOnlyEpochs`): the classifier's weight and bias.
 */
export function decays(name: string): boolean {
  return !/(\/|_)(bias|gain|skip_gain|gamma|beta|fc1_bias|fc2_bias)(_\d+)?$/.test(name) && !/moving_(mean|variance)/.test(name);
}

export function isClassifierWeight(name: string): boolean {
  return /^head\.fc\/kernel(_\d+)?$/.test(name);
}

/** The classifier's weight or bias ('head.fc/kernel', 'head.fc/bias'; engine names may carry a '_3'
 * suffix): what trains during the head-only epochs, everything else frozen. */
export function isClassifier(name: string): boolean {
  return /^head\.fc\/(kernel|bias)(_\d+)?$/.test(name);
}
