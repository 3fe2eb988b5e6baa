/** See browser-bundle.mjs. */
export function browserBundle(entry: string, options?: { resolveDir?: string; minify?: boolean }): Promise<{ problems: string[]; bytes: Uint8Array | undefined }>;
