/**
 * `GroupedConv2D`: a tfjs-layers conv layer with feature groups (tfjs has none) and
 * TF-SAME / VALID / explicit padding. Also the base of `WSConv2D`, which only changes the kernel
 * it convolves with (`effectiveKernel`), and the target of `foldWeightStandardization`.
 * Contract as tfjs-layers' own convolutional.ts: args checked with the layer name, weights built
 * with addWeight, call inside tidy, computeOutputShape, getConfig merged with super's.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { checkConvArgs, checkInputChannels, convCoreConfig, convOutputShape, type ConvCore, type ConvCoreArgs } from './conv-args.js';
import { groupedConv2dBias } from './grouped-conv2d.js';
import { serializeInitializer, toInitializer, type InitializerSpec } from './initializers.js';
import { WsConvError } from './errors.js';

export type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;
type LayerVariable = ReturnType<tfl.layers.Layer['getWeights']> extends unknown ? tfl.LayerVariable : never;
type Initializer = ReturnType<typeof toInitializer>;

export interface GroupedConv2DArgs extends ConvCoreArgs, LayerArgs {
  /** Kernel initializer. Default glorotUniform (as tf.layers.conv2d). */
  kernelInitializer?: InitializerSpec;
  /** Bias initializer. Default zeros. */
  biasInitializer?: InitializerSpec;
}

export class GroupedConv2D extends tfl.layers.Layer {
  /** Serialization name: a file format, never rename. */
  static className = 'GroupedConv2D';

  readonly core: ConvCore;
  protected readonly kernelInitializer: Initializer;
  protected readonly biasInitializer: Initializer;
  protected kernel: LayerVariable | null = null;
  protected bias: LayerVariable | null = null;

  constructor(args: GroupedConv2DArgs, defaultKernelInitializer: InitializerSpec = 'glorotUniform') {
    super(args);
    const where = `${this.getClassName()} '${this.name}'`;
    if (args == null || typeof args !== 'object') throw new WsConvError('BAD_OPTION', `${where}: expected an arguments object with filters and kernelSize.`);
    this.core = checkConvArgs(args, where);
    this.kernelInitializer = toInitializer(args.kernelInitializer ?? defaultKernelInitializer, where);
    this.biasInitializer = toInitializer(args.biasInitializer ?? 'zeros', where);
  }

  protected where(): string {
    return `${this.getClassName()} '${this.name}'`;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    if (shape.length !== 4) {
      throw new WsConvError('BAD_SHAPE', `${this.where()}: expects NHWC input of rank 4, received shape [${shape.join(', ')}].`);
    }
    const inChannels = checkInputChannels(shape[3], this.core, this.where());
    const { kernelSize: [kh, kw], groups, filters } = this.core;
    this.kernel = this.addWeight('kernel', [kh, kw, inChannels / groups, filters], 'float32', this.kernelInitializer);
    if (this.core.useBias) this.bias = this.addWeight('bias', [filters], 'float32', this.biasInitializer);
    this.buildExtra(filters);
    this.built = true;
  }

  /** Extra weights of subclasses. */
  protected buildExtra(_filters: number): void {}

  /** The kernel the convolution uses. */
  protected effectiveKernel(): tf.Tensor {
    return this.kernel!.read();
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const { strides, padding, dilationRate, groups } = this.core;
      return groupedConv2dBias(x, this.effectiveKernel(), this.bias?.read(), { strides, padding, dilations: dilationRate, groups });
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    return convOutputShape(shape, this.core);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      ...(convCoreConfig(this.core) as tf.serialization.ConfigDict),
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
    };
  }
}

/** Factory, as tf.layers.conv2d. */
export function groupedConv2dLayer(args: GroupedConv2DArgs): GroupedConv2D {
  return new GroupedConv2D(args);
}
