/**
 * The Keycloak catalog ingestion of this app: the provider of
 * @backstage-community/plugin-catalog-backend-module-keycloak (KeycloakOrgEntityProvider, same
 * config `catalog.providers.keycloakOrg` and the same default schedule as the module), registered
 * here instead of the module so that users and groups are named and bound as sign-in and the
 * permission policy expect:
 *
 *   Users   keycloakUserTransformer (auth module package): the name sign-in looks up (ONE function,
 *           keycloakUserEntityName) and the binding to the Keycloak user (keycloak.org/id = `sub`,
 *           keycloak.org/username); sign-in refuses a User bound to another Keycloak user.
 *   Groups  keycloakGroupTransformer (permission module package): an injective name from the FULL
 *           path (`/admins` -> admins, `/developers/admins` -> developers.admins.<hash>) and the path
 *           in keycloak.org/path. The permission policy turns its configured paths into refs with
 *           the same function, so a subgroup named like an admin group is never one.
 *   Clashes two Keycloak users whose usernames map to ONE name (`alice@corp`, `alice-corp`): neither
 *           is ingested (a warning names both), so neither can sign in as the other and one
 *           user's rename cannot break the ingestion for everyone (the catalog refuses a mutation
 *           holding one ref twice).
 *
 * Users' memberOf follows the transformed group names (the module fills it after the transformers);
 * Groups' parent and children are set here from the paths (the module matches them by bare name).
 */
import { coreServices, createBackendModule, type LoggerService } from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint, type EntityProvider, type EntityProviderConnection, type EntityProviderMutation } from '@backstage/plugin-catalog-node';
import { KeycloakOrgEntityProvider } from '@backstage-community/plugin-catalog-backend-module-keycloak';
import { keycloakUserTransformer, KEYCLOAK_USERNAME_ANNOTATION } from '@backstage-keycloak/plugin-auth-backend-module-keycloak';
import { keycloakGroupTransformer, KEYCLOAK_PATH_ANNOTATION } from '@backstage-keycloak/plugin-permission-backend-module-keycloak';

type Deferred = Extract<EntityProviderMutation, { type: 'full' }>['entities'][number];

function refOf(d: Deferred): string {
  const e = d.entity;
  return `${e.kind}:${e.metadata.namespace ?? 'default'}/${e.metadata.name}`.toLowerCase();
}

/** Drops every entity whose ref occurs more than once in a mutation (all of them), with a warning. */
export function withoutClashes(entities: Deferred[], logger: LoggerService): Deferred[] {
  const byRef = new Map<string, Deferred[]>();
  for (const d of entities) byRef.set(refOf(d), [...(byRef.get(refOf(d)) ?? []), d]);
  return entities.filter((d) => {
    const same = byRef.get(refOf(d))!;
    if (same.length === 1) return true;
    if (same[0] === d) {
      const names = same.map((x) => x.entity.metadata.annotations?.[KEYCLOAK_USERNAME_ANNOTATION] ?? x.entity.metadata.annotations?.[KEYCLOAK_PATH_ANNOTATION] ?? '?');
      logger.warn(`Keycloak ingestion: ${same.length} Keycloak entries map to ${refOf(d)} (${names.map((n) => JSON.stringify(n)).join(', ')}): none of them is ingested, so none can sign in as another. Rename one in Keycloak.`);
    }
    return false;
  });
}

/**
 * Sets each ingested Group's spec.parent and spec.children from the paths (keycloak.org/path): the
 * module wires them by bare group name, so with two groups named `admins` a parent could list the
 * wrong one as its child.
 */
export function withHierarchyFromPaths(entities: Deferred[]): Deferred[] {
  const pathOf = (d: Deferred) => (d.entity.kind === 'Group' ? d.entity.metadata.annotations?.[KEYCLOAK_PATH_ANNOTATION] : undefined);
  const nameByPath = new Map<string, string>();
  for (const d of entities) {
    const p = pathOf(d);
    if (p) nameByPath.set(p, d.entity.metadata.name);
  }
  const parentPath = (p: string) => p.slice(0, p.lastIndexOf('/'));
  return entities.map((d) => {
    const p = pathOf(d);
    if (!p) return d;
    const spec: NonNullable<Deferred['entity']['spec']> = { ...d.entity.spec };
    const parent = nameByPath.get(parentPath(p));
    if (parent) spec.parent = parent;
    else delete spec.parent;
    spec.children = [...nameByPath].filter(([c]) => parentPath(c) === p).map(([, name]) => name);
    return { ...d, entity: { ...d.entity, spec } };
  });
}

class ClashFreeProvider implements EntityProvider {
  constructor(
    private readonly inner: EntityProvider,
    private readonly logger: LoggerService,
  ) {}
  getProviderName(): string {
    return this.inner.getProviderName();
  }
  async connect(connection: EntityProviderConnection): Promise<void> {
    const logger = this.logger;
    await this.inner.connect({
      refresh: (options) => connection.refresh(options),
      applyMutation: (mutation) =>
        connection.applyMutation(mutation.type === 'full' ? { ...mutation, entities: withHierarchyFromPaths(withoutClashes(mutation.entities, logger)) } : mutation),
    });
  }
}

export default createBackendModule({
  pluginId: 'catalog',
  moduleId: 'keycloak-identity',
  register(reg) {
    reg.registerInit({
      deps: { catalog: catalogProcessingExtensionPoint, config: coreServices.rootConfig, logger: coreServices.logger, scheduler: coreServices.scheduler },
      async init({ catalog, config, logger, scheduler }) {
        const providers = KeycloakOrgEntityProvider.fromConfig(
          { config, logger },
          {
            scheduler,
            // The module's default when catalog.providers.keycloakOrg.<id>.schedule is unset.
            schedule: scheduler.createScheduledTaskRunner({ frequency: { minutes: 30 }, timeout: { minutes: 3 } }),
            userTransformer: keycloakUserTransformer,
            groupTransformer: keycloakGroupTransformer,
          },
        );
        catalog.addEntityProvider(providers.map((p) => new ClashFreeProvider(p, logger)));
      },
    });
  },
});
