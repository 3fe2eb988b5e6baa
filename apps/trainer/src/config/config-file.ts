/**
 * Config files for `--config`: YAML (`.yaml`, `.yml`) or JSON (`.json`), chosen by the extension.
 * The file must hold one mapping of config keys (camelCase, as in TrainConfig); its keys are then
 * validated like flags (train-config.ts). Every problem — unreadable file, syntax error, a list
 * or scalar where the mapping should be — is one line naming the file (and line, for syntax).
 * Duplicate keys are errors in both formats (JSON.parse alone keeps the last). Files are capped at
 * MAX_CONFIG_BYTES: a config is a few dozen keys, and YAML's duplicate-key check is quadratic.
 */
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigError } from './train-config.js';
import { quote } from '../errors.js';

/** The largest config file read: 64 KiB (a full config is about 1 KiB). */
export const MAX_CONFIG_BYTES = 64 * 1024;

export type ConfigFormat = 'yaml' | 'json';

/** The format of a config file from its extension; throws one line for any other extension. */
export function configFormat(file: string): ConfigFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.json') return 'json';
  throw new ConfigError(`config file ${quote(file)}: unknown extension ${quote(ext || '(none)')}; use .yaml, .yml or .json.`);
}

const firstLine = (s: string) => s.split('\n', 1)[0]!.trim();

/** Parses the text of a config file into its mapping of keys (not yet validated). */
export function parseConfigText(text: string, file: string, format: ConfigFormat = configFormat(file)): Record<string, unknown> {
  let value: unknown;
  try {
    // YAML 1.2 core schema: `yes` stays a string, duplicate keys and several documents are errors.
    value = format === 'yaml' ? parseYaml(text, { prettyErrors: true }) : JSON.parse(text);
  } catch (e) {
    const message = e instanceof YAMLParseError || e instanceof SyntaxError ? firstLine(e.message) : String(e);
    throw new ConfigError(`config file ${quote(file)}: invalid ${format === 'yaml' ? 'YAML' : 'JSON'}: ${message.replace(/:$/, '')}.`);
  }
  if (format === 'json') {
    const duplicate = firstDuplicateJsonKey(text);
    if (duplicate) throw new ConfigError(`config file ${quote(file)}: duplicate key ${quote(duplicate.key)} at line ${duplicate.line}; give each key once.`);
  }
  // An empty (or comment-only) YAML file is an empty mapping.
  if (value === null && format === 'yaml' && text.replace(/#.*$/gm, '').trim() === '') return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const got = Array.isArray(value) ? 'a list' : value === null ? 'null' : `a ${typeof value}`;
    throw new ConfigError(`config file ${quote(file)}: expected a mapping of config keys (e.g. 'epochs: 2'), found ${got}.`);
  }
  return value as Record<string, unknown>;
}

/**
 * The first key given twice in one object of a JSON text (already known to be valid JSON), with its
 * line; undefined when every object's keys are distinct.
 */
export function firstDuplicateJsonKey(text: string): { key: string; line: number } | undefined {
  // One frame per open object or array: the keys seen (objects) or null (arrays).
  const stack: Array<Set<string> | null> = [];
  let line = 1;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') line++;
    else if (c === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (c === '[') {
      stack.push(null);
      expectKey = false;
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectKey = false;
    } else if (c === ',') expectKey = stack[stack.length - 1] instanceof Set;
    else if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        const seen = stack[stack.length - 1]!;
        if (seen.has(key)) return { key, line };
        seen.add(key);
        expectKey = false;
      }
      i = j;
    }
  }
  return undefined;
}

/** Reads and parses a YAML or JSON config file (at most MAX_CONFIG_BYTES). */
export async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  const format = configFormat(file);
  let text: string;
  try {
    // Checked before opening: opening a FIFO or a device could block or never end.
    const info = await stat(file);
    if (!info.isFile()) throw new ConfigError(`cannot read config file ${quote(file)}: ${info.isDirectory() ? 'is a directory' : 'not a regular file'}.`);
    if (info.size > MAX_CONFIG_BYTES) {
      throw new ConfigError(`config file ${quote(file)} is ${info.size.toLocaleString('en')} bytes; a config is a few dozen keys (at most ${MAX_CONFIG_BYTES / 1024} KiB). Is it the right file?`);
    }
    const handle = await open(file, 'r');
    try {
      // Read at most the cap even if the file grows meanwhile.
      const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      if (bytesRead > MAX_CONFIG_BYTES) throw new ConfigError(`config file ${quote(file)} is larger than ${MAX_CONFIG_BYTES / 1024} KiB; a config is a few dozen keys.`);
      text = new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, bytesRead));
    } finally {
      await handle.close();
    }
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    if (e instanceof TypeError) throw new ConfigError(`config file ${quote(file)} is not UTF-8 text.`);
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.code === 'EACCES' ? 'permission denied' : firstLine(err.message);
    throw new ConfigError(`cannot read config file ${quote(file)}: ${why}.`);
  }
  return parseConfigText(text, file, format);
}
