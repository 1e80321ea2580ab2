import type { ModelsBenchResults } from './types.ts';
export function renderModelsHtml(r: ModelsBenchResults): string {
  return `<pre>${JSON.stringify(r)}</pre>`;
}
