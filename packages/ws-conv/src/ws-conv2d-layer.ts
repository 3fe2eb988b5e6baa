/**
 * `WSConv2D`: the scaled weight-standardized convolution of NFNets as a tfjs-layers layer.
 * Reference: deepmind-research `nfnets/base.py` WSConv2D (gain init ones, bias always added, raw
 * weights N(0, 1/fan_in)); timm `layers/std_conv.py` ScaledStdConv2d(Same) via `convention: 'timm'`
 * and `gamma`. Weights: `kernel` [kh, kw, in/groups, filters], `gain` [filters], `bias` [filters].
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GroupedConv2D, type GroupedConv2DArgs } from './grouped-conv2d-layer.js';
import { serializeInitializer, toInitializer, type InitializerSpec } from './initializers.js';
import { checkConvention, DEFAULT_WS_EPS, standardizeWeight, type WsConvention } from './standardize-weight.js';
import { WsConvError } from './errors.js';

type LayerVariable = tfl.LayerVariable;

export interface WSConv2DArgs extends GroupedConv2DArgs {
  /** Learnable per-output-channel gain. Default true. */
  useGain?: boolean;
  /** Activation gamma folded into the weight (timm-native models). Default 1. */
  gamma?: number;
  /** 'deepmind' (default), 'timm' or 'plain'. */
  convention?: WsConvention;
  /** Standardization eps; default per convention (1e-4 deepmind, 1e-5 timm and plain). */
  eps?: number;
  /** Gain initializer. Default ones (timm's last-conv-of-block uses zeros). */
  gainInitializer?: InitializerSpec;
}

export class WSConv2D extends GroupedConv2D {
  /** Serialization name: a file format, never rename. */
  static override className = 'WSConv2D';

  readonly useGain: boolean;
  readonly gamma: number;
  readonly convention: WsConvention;
  readonly eps: number;
  protected readonly gainInitializer: ReturnType<typeof toInitializer>;
  protected gain: LayerVariable | null = null;

  constructor(args: WSConv2DArgs) {
    // Default raw-weight init: untruncated N(0, 1/fan_in), as DeepMind and timm.
    super(args, 'fanInNormal');
    const where = this.where();
    this.useGain = args.useGain ?? true;
    this.gamma = args.gamma ?? 1;
    if (!Number.isFinite(this.gamma) || this.gamma <= 0) {
      throw new WsConvError('BAD_OPTION', `${where}: gamma must be a finite number > 0, received ${String(args.gamma)}.`);
    }
    this.convention = checkConvention(args.convention ?? 'deepmind', where);
    this.eps = args.eps ?? DEFAULT_WS_EPS[this.convention];
    if (!Number.isFinite(this.eps) || this.eps < 0) {
      throw new WsConvError('BAD_OPTION', `${where}: eps must be a finite number >= 0, received ${String(args.eps)}.`);
    }
    this.gainInitializer = toInitializer(args.gainInitializer ?? 'ones', where);
  }

  protected override buildExtra(filters: number): void {
    if (this.useGain) this.gain = this.addWeight('gain', [filters], 'float32', this.gainInitializer);
  }

  /** The standardized kernel (what the convolution sees; what folding stores). */
  standardizedKernel(): tf.Tensor4D {
    return this.effectiveKernel() as tf.Tensor4D;
  }

  protected override effectiveKernel(): tf.Tensor {
    return standardizeWeight(this.kernel!.read(), {
      convention: this.convention,
      gamma: this.gamma,
      eps: this.eps,
      ...(this.gain ? { gain: this.gain.read() } : {}),
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      useGain: this.useGain,
      gamma: this.gamma,
      convention: this.convention,
      eps: this.eps,
      gainInitializer: serializeInitializer(this.gainInitializer),
    };
  }
}

/** Factory, as tf.layers.conv2d. */
export function wsConv2d(args: WSConv2DArgs): WSConv2D {
  return new WSConv2D(args);
}
