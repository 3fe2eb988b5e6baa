#!/usr/bin/env node
/**
 * Prints the WebGPU adapter Dawn picks (vendor, architecture, description) and the limits that
 * bound tensor sizes. Resolves `webgpu` from NF_APP_DIR (the unpacked bundle; default
 * apps/trainer). Exit 0 with "no adapter" when Vulkan offers none.
 */
import { loadFrom } from './resolve.mjs';

const dawn = await loadFrom('webgpu');
const gpu = dawn.create([]);
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
if (!adapter) {
  console.log('webgpu adapter: none (no Vulkan driver found; see VK_DRIVER_FILES)');
} else {
  const i = adapter.info ?? {};
  const l = adapter.limits;
  const gib = (n) => `${(Number(n) / 2 ** 30).toFixed(2)} GiB`;
  console.log(
    `webgpu adapter: ${[i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' | ') || '(no info)'}; ` +
      `maxBufferSize ${gib(l.maxBufferSize)}, maxStorageBufferBindingSize ${gib(l.maxStorageBufferBindingSize)}, ` +
      `maxComputeWorkgroupStorageSize ${l.maxComputeWorkgroupStorageSize}`,
  );
}
