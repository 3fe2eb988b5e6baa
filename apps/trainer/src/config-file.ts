/**
 * Config files for `--config`: YAML (`.yaml`, `.yml`) or JSON (`.json`), chosen by the extension.
 * The file must hold one mapping of config keys (camelCase, as in TrainConfig); its keys are then
 * validated like flags (train-config.ts). Every problem — unreadable file, syntax error, a list
 * or scalar where the mapping should be — is one line naming the file (and line, for syntax).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigError } from './train-config.js';

export type ConfigFormat = 'yaml' | 'json';

/** The format of a config file from its extension; throws one line for any other extension. */
export function configFormat(file: string): ConfigFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.json') return 'json';
  throw new ConfigError(`config file '${file}': unknown extension '${ext || '(none)'}'; use .yaml, .yml or .json.`);
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
    throw new ConfigError(`config file '${file}': invalid ${format === 'yaml' ? 'YAML' : 'JSON'}: ${message.replace(/:$/, '')}.`);
  }
  // An empty (or comment-only) YAML file is an empty mapping.
  if (value === null && format === 'yaml' && text.replace(/#.*$/gm, '').trim() === '') return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const got = Array.isArray(value) ? 'a list' : value === null ? 'null' : `a ${typeof value}`;
    throw new ConfigError(`config file '${file}': expected a mapping of config keys (e.g. 'epochs: 2'), found ${got}.`);
  }
  return value as Record<string, unknown>;
}

/** Reads and parses a YAML or JSON config file. */
export async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  const format = configFormat(file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : firstLine(err.message);
    throw new ConfigError(`cannot read config file '${file}': ${why}.`);
  }
  return parseConfigText(text, file, format);
}
