/** `GroupNormalization`: tfjs-layers adapter of `groupNorm` (tfjs has no group norm layer). */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { checkNormGroups, groupNorm } from './group-norm.js';
import { serializeInitializer, toInitializer, type InitializerSpec } from './initializers.js';
import type { LayerArgs } from './grouped-conv2d-layer.js';
import { WsConvError } from './errors.js';

export interface GroupNormalizationArgs extends LayerArgs {
  /** Number of groups; the channel count must divide by it. Default 32. */
  groups?: number;
  /** Added to the variance. Default 1e-5. */
  epsilon?: number;
  /** Learn a per-channel offset (beta). Default true. */
  center?: boolean;
  /** Learn a per-channel scale (gamma). Default true. */
  scale?: boolean;
  gammaInitializer?: InitializerSpec;
  betaInitializer?: InitializerSpec;
}

export class GroupNormalization extends tfl.layers.Layer {
  /** Serialization name: a file format, never rename. */
  static className = 'GroupNormalization';

  readonly groups: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  private readonly gammaInitializer: ReturnType<typeof toInitializer>;
  private readonly betaInitializer: ReturnType<typeof toInitializer>;
  private gamma: tfl.LayerVariable | null = null;
  private beta: tfl.LayerVariable | null = null;

  constructor(args: GroupNormalizationArgs = {}) {
    super(args);
    const where = `GroupNormalization '${this.name}'`;
    this.groups = args.groups ?? 32;
    this.epsilon = args.epsilon ?? 1e-5;
    if (!Number.isInteger(this.groups) || this.groups < 1) {
      throw new WsConvError('BAD_GROUPS', `${where}: groups must be an integer >= 1, received ${String(args.groups)}.`);
    }
    if (!(this.epsilon >= 0)) throw new WsConvError('BAD_OPTION', `${where}: epsilon must be >= 0, received ${String(args.epsilon)}.`);
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.gammaInitializer = toInitializer(args.gammaInitializer ?? 'ones', where);
    this.betaInitializer = toInitializer(args.betaInitializer ?? 'zeros', where);
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const channels = checkNormGroups(shape[shape.length - 1], this.groups, `GroupNormalization '${this.name}'`);
    if (this.scale) this.gamma = this.addWeight('gamma', [channels], 'float32', this.gammaInitializer);
    if (this.center) this.beta = this.addWeight('beta', [channels], 'float32', this.betaInitializer);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      return groupNorm(x, this.groups, {
        eps: this.epsilon,
        ...(this.gamma ? { gamma: this.gamma.read() } : {}),
        ...(this.beta ? { beta: this.beta.read() } : {}),
      });
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      groups: this.groups,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      gammaInitializer: serializeInitializer(this.gammaInitializer),
      betaInitializer: serializeInitializer(this.betaInitializer),
    };
  }
}

/** Factory, as the tf.layers ones. */
export function groupNormalization(args?: GroupNormalizationArgs): GroupNormalization {
  return new GroupNormalization(args);
}
