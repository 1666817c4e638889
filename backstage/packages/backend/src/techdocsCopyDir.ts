/**
 * TechDocs for `backstage.io/techdocs-ref: dir:` entities on a read-only root filesystem.
 *
 * Upstream's `dir` preparer hands the generator the entity's own directory when the entity comes
 * from a file location, and the generator rewrites mkdocs.yml there before running mkdocs (it
 * sanitizes it every time). In the image /app is read-only, so that write fails and no docs are
 * built; locally it silently rewrites the repository's file. This preparer runs upstream's `dir`
 * preparer, then copies what it prepared into a fresh directory under the OS temp dir (/tmp, the
 * image's one writable place) and lets the TechDocs backend delete the copy after the build.
 * Sources from URL locations are downloaded to a temp dir upstream already: they are copied once
 * more, which costs little for documentation trees.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { DirectoryPreparer, techdocsPreparerExtensionPoint, type PreparerBase, type PreparerOptions, type PreparerResponse } from '@backstage/plugin-techdocs-node';

export class CopyingDirectoryPreparer implements PreparerBase {
  readonly #inner: PreparerBase;

  constructor(inner: PreparerBase) {
    this.#inner = inner;
  }

  shouldCleanPreparedDirectory(): boolean {
    return true; // the copy is ours
  }

  async prepare(entity: Entity, options?: PreparerOptions): Promise<PreparerResponse> {
    const prepared = await this.#inner.prepare(entity, options);
    const copy = await mkdtemp(path.join(os.tmpdir(), 'techdocs-dir-'));
    try {
      await cp(prepared.preparedDir, copy, { recursive: true, verbatimSymlinks: true });
    } catch (e) {
      await rm(copy, { recursive: true, force: true });
      throw e;
    } finally {
      if (this.#inner.shouldCleanPreparedDirectory()) await rm(prepared.preparedDir, { recursive: true, force: true });
    }
    return { preparedDir: copy, etag: prepared.etag };
  }
}

export const techdocsModuleCopyDirPreparer = createBackendModule({
  pluginId: 'techdocs',
  moduleId: 'copy-dir-preparer',
  register(reg) {
    reg.registerInit({
      deps: { preparers: techdocsPreparerExtensionPoint, config: coreServices.rootConfig, logger: coreServices.logger, urlReader: coreServices.urlReader },
      async init({ preparers, config, logger, urlReader }) {
        preparers.registerPreparer('dir', new CopyingDirectoryPreparer(DirectoryPreparer.fromConfig(config, { logger, reader: urlReader })));
      },
    });
  },
});

export default techdocsModuleCopyDirPreparer;
