/**
 * Initializers the layers need beyond tfjs-layers' own.
 * `FanInNormal`: untruncated N(0, scale / fan_in) — haiku's VarianceScaling(1, 'fan_in', 'normal')
 * and timm's kaiming_normal_(mode='fan_in', nonlinearity='linear'). tfjs's varianceScaling with
 * distribution 'normal' draws a *truncated* normal, which would shrink the raw weight norms that AGC
 * measures. Fan-in of a [kh, kw, in, out] kernel = kh·kw·in.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { WsConvError } from './errors.js';

type Initializer = ReturnType<typeof tfl.initializers.zeros>;
const InitializerBase = Object.getPrototypeOf(tfl.initializers.zeros().constructor) as new () => Initializer;

export class FanInNormal extends InitializerBase {
  /** Serialization name: a file format, never rename. */
  static className = 'FanInNormal';
  readonly scale: number;
  readonly seed?: number;

  constructor(args: { scale?: number; seed?: number } = {}) {
    super();
    this.scale = args.scale ?? 1;
    if (args.seed !== undefined) this.seed = args.seed;
  }

  override apply(shape: number[], dtype?: tf.DataType): tf.Tensor {
    const fanIn = shape.length <= 1 ? Math.max(1, shape[0] ?? 1) : shape.slice(0, -1).reduce((a, b) => a * b, 1);
    return tf.randomNormal(shape, 0, Math.sqrt(this.scale / fanIn), (dtype ?? 'float32') as 'float32', this.seed);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return this.seed === undefined ? { scale: this.scale } : { scale: this.scale, seed: this.seed };
  }
}

export type InitializerSpec = Initializer | string | { className: string; config?: tf.serialization.ConfigDict };

const BY_NAME: Record<string, () => Initializer> = {
  zeros: () => tfl.initializers.zeros(),
  ones: () => tfl.initializers.ones(),
  glorotUniform: () => tfl.initializers.glorotUniform({}),
  glorotNormal: () => tfl.initializers.glorotNormal({}),
  heNormal: () => tfl.initializers.heNormal({}),
  heUniform: () => tfl.initializers.heUniform({}),
  leCunNormal: () => tfl.initializers.leCunNormal({}),
  fanInNormal: () => new FanInNormal(),
};

/** An initializer from an instance, a name ('zeros', 'fanInNormal', …) or a serialized {className, config}. */
export function toInitializer(spec: InitializerSpec, where: string): Initializer {
  if (typeof spec === 'string') {
    const make = BY_NAME[spec];
    if (!make) throw new WsConvError('BAD_OPTION', `${where}: unknown initializer '${spec}'; use one of ${Object.keys(BY_NAME).join(', ')} or an initializer object.`);
    return make();
  }
  if (typeof (spec as Initializer).apply === 'function') return spec as Initializer;
  const { className, config } = spec as { className: string; config?: tf.serialization.ConfigDict };
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (!entry) throw new WsConvError('BAD_OPTION', `${where}: initializer class '${className}' is not registered; import the module that defines it.`);
  return entry[1](entry[0], config ?? {}) as unknown as Initializer;
}

/** Serialized form of an initializer, as tfjs-layers writes them. */
export function serializeInitializer(init: Initializer): tf.serialization.ConfigDict {
  return { className: init.getClassName(), config: init.getConfig() };
}
