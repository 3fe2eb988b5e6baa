/** A tiny well-formedness check for the SVG the package writes (no XML parser among the dependencies). */
export function checkWellFormed(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(xml); m; m = tag.exec(xml)) {
    const between = xml.slice(last, m.index);
    if (/[<>]/.test(between)) problems.push(`stray markup before offset ${m.index}: ${between.slice(0, 40)}`);
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(between)) problems.push(`unescaped & before offset ${m.index}`);
    last = tag.lastIndex;
    const [, close, name, , selfClose] = m;
    if (selfClose) continue;
    if (close) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? 'nothing'}>`);
    } else stack.push(name!);
  }
  if (/[<>]/.test(xml.slice(last))) problems.push('stray markup at the end');
  if (stack.length) problems.push(`unclosed: ${stack.join(', ')}`);
  return problems;
}

/** Attribute values of every element matching `selector` (a tag and a class). */
export function elements(svg: string, tagName: string, className: string): Array<Record<string, string>> {
  const re = new RegExp(`<${tagName}\\s+class="${className}"([^>]*)>`, 'g');
  return [...svg.matchAll(re)].map((m) => Object.fromEntries([...m[1]!.matchAll(/([\w:-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])));
}
