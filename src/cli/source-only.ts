/**
 * Parts of the command that exist only in a checkout of the repository, not in the npm package: the GPU test
 * cases (test/gpu/, run by `gpu-test`) and the benchmark page with its peers (demo/, vite.config.ts, used by
 * `bench --browser --peers` and `--dist`). They are imported through a computed URL so that the package build
 * (tsconfig.build.json) does not follow them into dist/.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** True when the command runs from the TypeScript sources (a checkout, through tsx), false from dist/. */
export const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** The repository root when running from a checkout (src/cli/ → ../..), else undefined. */
export const CHECKOUT_ROOT: string | undefined = FROM_SOURCE ? fileURLToPath(new URL('../../', import.meta.url)) : undefined;

/** Imports a repo-relative TypeScript module that only a checkout has; `what` says what needs it. */
export async function importFromCheckout<T>(repoPath: string, what: string): Promise<T> {
  const url = CHECKOUT_ROOT ? new URL(repoPath, new URL('../../', import.meta.url)) : undefined;
  if (!url || !existsSync(url)) {
    throw new Error(
      `${what} needs ${repoPath}, which is part of the winoconv repository but not of the npm package. ` +
        'Run it from a checkout: git clone <the winoconv repository> && cd winoconv && npm ci && npx winoconv ...',
    );
  }
  return (await import(url.href)) as T;
}
