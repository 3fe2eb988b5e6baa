export { ONEDNN_FIX, oneDnnGemmGflops, oneDnnStatus, registerOneDnnKernels, setOneDnnThreads, unregisterOneDnnKernels, type OneDnnStatus, type RegisterOptions } from './register.js';
export { callCounts as oneDnnCallCounts, ONEDNN_KERNEL_FACTORIES } from './kernels.js';
export { loadAddon, type OneDnnAddon } from './addon.js';
export { OneDnnError, type OneDnnErrorCode } from './errors.js';
