/**
 * Linear warmup from 0, then cosine decay to 0 (deepmind-research nfnets/optim.py
 * WarmupCosineDecay): lr(t) = peak·t/w for t ≤ w, else 0.5·peak·(1 + cos(π·(t−w)/(T−w))).
 */
export function warmupCosine(step: number, peak: number, warmupSteps: number, totalSteps: number): number {
  if (warmupSteps > 0 && step <= warmupSteps) return (peak * step) / warmupSteps;
  const span = Math.max(1, totalSteps - warmupSteps);
  const progress = Math.min(1, (step - warmupSteps) / span);
  return 0.5 * peak * (1 + Math.cos(Math.PI * progress));
}
