/**
 * Side effects of importing @nf/agc: the optimizer class for model.save / loadLayersModel, and
 * the fused cpu kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerFusedKernels } from './fused-kernels.js';
import { AgcOptimizer } from './with-agc.js';

tf.serialization.registerClass(AgcOptimizer);
registerFusedKernels();
