import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  entry: { cli: 'src/cli.ts', index: 'src/index.ts', step: 'src/step.ts', 'chart-axis': 'src/report/chart-axis.ts', 'data-parallel-worker': 'src/data-parallel-worker.ts' },
  format: ['esm'],
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'node20',
  external: [/^@tensorflow\//, /^@nf\//],
  define: { __NF_TRAIN_VERSION__: JSON.stringify(version) },
  banner: ({ format }) => (format === 'esm' ? { js: '' } : {}),
});
