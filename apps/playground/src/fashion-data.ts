/**
 * The bundled Fashion-MNIST subset (10,000 training and 2,000 test images, shipped inside @nf/data),
 * fetched from the site as the bundler copied it and parsed in the browser by @nf/data — the same
 * bytes, and the same arrays, as `nf-train` reads from the package folder in Node.
 */
import { fashionMnistFromBytes, type DataSource } from '@nf/data';
import trainImages from '@nf/data/data/fashion-mnist/train-images-idx3-ubyte.gz?url';
import trainLabels from '@nf/data/data/fashion-mnist/train-labels-idx1-ubyte.gz?url';
import testImages from '@nf/data/data/fashion-mnist/t10k-images-idx3-ubyte.gz?url';
import testLabels from '@nf/data/data/fashion-mnist/t10k-labels-idx1-ubyte.gz?url';

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not fetch the bundled Fashion-MNIST file ${url}: HTTP ${res.status}.`);
  return new Uint8Array(await res.arrayBuffer());
}

export async function loadBundledFashionMnist(): Promise<{ train: DataSource; test: DataSource }> {
  const [ti, tl, vi, vl] = await Promise.all([trainImages, trainLabels, testImages, testLabels].map(fetchBytes));
  const [train, test] = await Promise.all([
    fashionMnistFromBytes({ images: ti!, labels: tl!, split: 'train' }),
    fashionMnistFromBytes({ images: vi!, labels: vl!, split: 'test' }),
  ]);
  return { train, test };
}
