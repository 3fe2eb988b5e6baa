import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, tempDir, writeFile } from '../test/files.js';
import { imageFolder } from './image-folder.js';
import { readImage } from './file-example-reader.js';

const tmp = tempDir();
afterAll(tmp.remove);

describe('imageFolder', () => {
  const root = path.join(tmp.dir, 'pets');
  beforeAll(async () => {
    writeFile(path.join(root, 'dog', 'b.png'), await encode('png', 8, 6));
    writeFile(path.join(root, 'dog', 'a.JPG'), await encode('jpeg', 8, 6));
    writeFile(path.join(root, 'dog', 'nested', 'c.webp'), await encode('webp', 8, 6));
    writeFile(path.join(root, 'dog', 'notes.txt'), 'not an image');
    writeFile(path.join(root, 'dog', '.hidden.png'), await encode('png', 8, 6));
    writeFile(path.join(root, 'cat', 'x.png'), await encode('gray-png', 5, 5));
    writeFile(path.join(root, 'Zebra', 'z.jpeg'), await encode('cmyk-jpeg', 4, 4));
    writeFile(path.join(root, 'cat', 'broken.jpg'), 'garbage');
    writeFile(path.join(root, 'README.md'), 'top-level files are ignored');
  });

  it('lists classes in code-point order and images recursively, sorted, by extension', async () => {
    const s = await imageFolder(root);
    expect(s.classNames).toEqual(['Zebra', 'cat', 'dog']);
    const rel = s.spec.kind === 'files' ? s.spec.paths.map((p) => path.relative(root, p)) : [];
    expect(rel).toEqual(['Zebra/z.jpeg', 'cat/broken.jpg', 'cat/x.png', 'dog/a.JPG', 'dog/b.png', 'dog/nested/c.webp']);
    expect([...s.labels]).toEqual([0, 1, 1, 2, 2, 2]);
    expect(s.size).toBe(6);
    expect(s.imageSize).toBeUndefined();
    expect(s.normalization.mean).toEqual([0.485, 0.456, 0.406]);
  });

  it('classNames picks and orders classes; an unknown one is an error', async () => {
    const s = await imageFolder(root, { classNames: ['dog', 'cat'] });
    expect([...s.labels]).toEqual([0, 0, 0, 1, 1]);
    await expect(imageFolder(root, { classNames: ['dog', 'horse'] })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('horse') });
  });

  it('follows symlinked class folders', async () => {
    const linked = path.join(tmp.dir, 'linked');
    mkdirSync(linked);
    symlinkSync(path.join(root, 'cat'), path.join(linked, 'cat'));
    const s = await imageFolder(linked);
    expect(s.size).toBe(2);
  });

  it('readImage decodes any example to RGB and names a bad file', async () => {
    const s = await imageFolder(root);
    const gray = await readImage(s, 2);
    expect([gray.width, gray.height, gray.channels]).toEqual([5, 5, 3]);
    await expect(readImage(s, 1)).rejects.toMatchObject({ code: 'BAD_IMAGE', message: expect.stringContaining('broken.jpg') });
    await expect(readImage(s, 6)).rejects.toMatchObject({ code: 'BAD_OPTION' });
  });

  it('an empty class folder fails at once, naming it', async () => {
    const dir = path.join(tmp.dir, 'with-empty');
    writeFile(path.join(dir, 'full', 'a.png'), await encode('png', 2, 2));
    mkdirSync(path.join(dir, 'empty'));
    writeFile(path.join(dir, 'textonly', 'a.txt'), 'x');
    await expect(imageFolder(dir)).rejects.toMatchObject({ code: 'EMPTY_CLASS', message: expect.stringContaining(path.join(dir, 'empty')) });
    await expect(imageFolder(dir, { classNames: ['full', 'textonly'] })).rejects.toMatchObject({ code: 'EMPTY_CLASS', message: expect.stringContaining('textonly') });
  });

  it('a folder without class folders, a missing path or a file fails at once', async () => {
    const flat = path.join(tmp.dir, 'flat');
    writeFile(path.join(flat, 'a.png'), await encode('png', 2, 2));
    await expect(imageFolder(flat)).rejects.toMatchObject({ code: 'EMPTY_CLASS', message: expect.stringContaining('no class subfolders') });
    const missing = path.join(tmp.dir, 'missing');
    await expect(imageFolder(missing)).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining(missing) });
    await expect(imageFolder(path.join(flat, 'a.png'))).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('is a file') });
  });
});
