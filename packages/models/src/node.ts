/**
 * `@nf/models/node`: everything the main entry exports, plus what needs Node — saving and loading
 * model folders (`saveModel` / `loadModel` take a path here as well as everything the main entry's
 * take), checkpoint paths (`loadTimmCheckpoint`, `loadSafetensors`), DeepMind's `.npz` checkpoints
 * (`loadHaikuCheckpoint`, `readNpz`, inflated with node:zlib) and the folder tf.io handlers.
 */
export * from './index.js';
export { saveModel, loadModel, directorySaveHandler, directoryLoadHandler } from './model-folder.js';
export { loadTimmCheckpoint, loadSafetensors } from './checkpoint-file.js';
export { loadHaikuCheckpoint } from './haiku-checkpoint.js';
export { readNpz } from './npz.js';
