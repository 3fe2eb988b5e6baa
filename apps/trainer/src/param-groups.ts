/**
 * Which parameters get weight decay and AGC (deepmind-research experiment_nfnets.py `_make_opt`):
 * no weight decay on gains, biases, skip gains and normalisation scales/offsets; AGC on everything
 * but the classifier's weight.
 */
export function decays(name: string): boolean {
  return !/(\/|_)(bias|gain|skip_gain|gamma|beta|fc1_bias|fc2_bias)(_\d+)?$/.test(name) && !/moving_(mean|variance)/.test(name);
}

export function isClassifierWeight(name: string): boolean {
  return /^head\.fc\/kernel(_\d+)?$/.test(name);
}
