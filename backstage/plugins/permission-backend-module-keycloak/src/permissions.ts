/**
 * The permission policy of backstage-keycloak: least privilege by Keycloak group, with grants that
 * let people work.
 *
 *   - Every signed-in user may do what a permission marks as `read` (catalog entities, locations,
 *     templates, TechDocs, search, any other plugin's read permissions), EXCEPT a scaffolder run's
 *     log and parameters (`scaffolder.task.read`) and cancelling it (`scaffolder.task.cancel`): only
 *     the user who started the run and the admin groups (a conditional decision on the scaffolder's
 *     own IS_TASK_OWNER rule).
 *   - backstageKeycloak.permissions.grants (the chart: global.permissions.grants), each a list of
 *     full Keycloak group paths, or `*` for every signed-in user:
 *       runTemplates      scaffolder.task.create, scaffolder.template.dry-run, scaffolder.action.execute
 *                         (default `*`: a template's steps act with the user's own identity, so a
 *                         catalog:register step is still decided by registerEntities)
 *       registerEntities  catalog.location.create / analyze, catalog.entity.create / refresh / validate
 *                         (default: nobody beyond the admin groups)
 *       deleteEntities    catalog.entity.delete, catalog.location.delete (default: admin groups only)
 *       buildTechDocs     backstage-keycloak.techdocs.build: a TechDocs build when a reader opens
 *                         stale docs (default `*`, upstream's behaviour; denied: the published docs
 *                         are served without a build)
 *   - Everything else (template management, ingestion management, any other plugin's create, update
 *     and delete) and every grant: members of backstageKeycloak.permissions.adminGroups (default
 *     `/admins`).
 *   - A request without a signed-in user is denied (service-to-service calls never reach the
 *     policy: Backstage allows them before asking it).
 *
 * Groups are FULL Keycloak paths (`/admins`), never bare names: a path becomes the catalog Group
 * ref through keycloakGroupEntityName (groups.ts), the same function the Keycloak ingestion names
 * Groups with, so `/developers/admins` can never pass for `/admins`. Membership is read from the
 * user's ownership references (Backstage fills them at sign-in from the catalog User's memberOf).
 */
import { coreServices, createBackendModule, type LoggerService, type RootConfigService, type UserInfoService } from '@backstage/backend-plugin-api';
import { AuthorizeResult, createPermission, type PolicyDecision } from '@backstage/plugin-permission-common';
import type { PermissionPolicy, PolicyQuery, PolicyQueryUser } from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { GROUP_PATH, keycloakGroupEntityName } from './groups';

/** Every signed-in user, in a grant. */
export const EVERYONE = '*';

/**
 * Building an entity's TechDocs (the TechDocs backend's /sync, which runs the generator). Upstream
 * asks no permission before a build; the backstage-keycloak app asks this one
 * (packages/backend/src/techdocsBuildGrant.ts) and serves the published docs without a build when
 * it is denied.
 */
export const techdocsBuildPermission = createPermission({ name: 'backstage-keycloak.techdocs.build', attributes: { action: 'update' } });

export type GrantName = 'runTemplates' | 'registerEntities' | 'deleteEntities' | 'buildTechDocs';

/** Which grant decides which permission. */
export const GRANT_PERMISSIONS: Record<GrantName, string[]> = {
  runTemplates: ['scaffolder.task.create', 'scaffolder.template.dry-run', 'scaffolder.action.execute'],
  registerEntities: ['catalog.location.create', 'catalog.location.analyze', 'catalog.entity.create', 'catalog.entity.refresh', 'catalog.entity.validate'],
  deleteEntities: ['catalog.entity.delete', 'catalog.location.delete'],
  buildTechDocs: [techdocsBuildPermission.name],
};

/** Defaults of the grants (admins hold every grant anyway). */
export const DEFAULT_GRANTS: Record<GrantName, string[]> = { runTemplates: [EVERYONE], registerEntities: [], deleteEntities: [], buildTechDocs: [EVERYONE] };

/** Scaffolder run permissions decided by ownership of the run. */
const TASK_OWNER_PERMISSIONS = ['scaffolder.task.read', 'scaffolder.task.cancel'];

export interface KeycloakPermissionSettings {
  /** Full Keycloak group paths whose members may do everything. */
  adminGroups: string[];
  grants: Record<GrantName, string[]>;
}

/** `/admins` -> group:default/admins (via keycloakGroupEntityName); throws on a value that is not a path. */
export function groupRefOfPath(path: string): string {
  return `group:default/${keycloakGroupEntityName(path)}`;
}

/** Kept for callers of 0.1: the refs of admin group PATHS. */
export function adminGroupRefs(paths: string[]): string[] {
  return paths.map(groupRefOfPath);
}

function checkPaths(key: string, values: string[], wildcard: boolean): void {
  for (const v of values) {
    if (wildcard && v === EVERYONE) continue;
    if (!GROUP_PATH.test(v)) {
      throw new Error(
        `${key}: ${JSON.stringify(v)} is not a full Keycloak group path. Write the group's path as Keycloak shows it, e.g. /${v.replace(/^group:[^/]*\//, '')} for a top-level group or /parent/${v} for a subgroup` +
          `${wildcard ? `, or ${EVERYONE} for every signed-in user` : ''}: bare names are refused because a subgroup anywhere could carry the same name.`,
      );
    }
  }
}

/** backstageKeycloak.permissions, checked (throws naming the key and the value to fix). */
export function readPermissionSettings(config: RootConfigService): KeycloakPermissionSettings {
  const c = config.getOptionalConfig('backstageKeycloak.permissions');
  const adminGroups = c?.getOptionalStringArray('adminGroups') ?? ['/admins'];
  checkPaths('backstageKeycloak.permissions.adminGroups', adminGroups, false);
  const grants = { ...DEFAULT_GRANTS };
  for (const name of Object.keys(DEFAULT_GRANTS) as GrantName[]) {
    const v = c?.getOptionalStringArray(`grants.${name}`);
    if (v) {
      checkPaths(`backstageKeycloak.permissions.grants.${name}`, v, true);
      grants[name] = v;
    }
  }
  return { adminGroups, grants };
}

export class KeycloakGroupPolicy implements PermissionPolicy {
  readonly #admins: string[];
  readonly #grants: Map<string, { grant: GrantName; everyone: boolean; refs: string[] }>;
  readonly #userInfo: UserInfoService;
  readonly #logger: LoggerService;

  constructor(opts: { adminGroups: string[]; grants?: Partial<Record<GrantName, string[]>>; userInfo: UserInfoService; logger: LoggerService }) {
    checkPaths('adminGroups', opts.adminGroups, false);
    this.#admins = adminGroupRefs(opts.adminGroups);
    this.#grants = new Map();
    for (const grant of Object.keys(GRANT_PERMISSIONS) as GrantName[]) {
      const values = opts.grants?.[grant] ?? DEFAULT_GRANTS[grant];
      checkPaths(`grants.${grant}`, values, true);
      const rule = { grant, everyone: values.includes(EVERYONE), refs: values.filter((v) => v !== EVERYONE).map(groupRefOfPath) };
      for (const p of GRANT_PERMISSIONS[grant]) this.#grants.set(p, rule);
    }
    this.#userInfo = opts.userInfo;
    this.#logger = opts.logger;
  }

  async handle(request: PolicyQuery, user?: PolicyQueryUser): Promise<PolicyDecision> {
    if (!user) return { result: AuthorizeResult.DENY };
    const name = request.permission.name;
    const taskOwnerOnly = TASK_OWNER_PERMISSIONS.includes(name);
    if (!taskOwnerOnly && request.permission.attributes.action === 'read') return { result: AuthorizeResult.ALLOW };
    const rule = this.#grants.get(name);
    if (rule?.everyone) return { result: AuthorizeResult.ALLOW };
    const info = await this.#userInfo.getUserInfo(user.credentials);
    const refs = info.ownershipEntityRefs.map((r) => r.toLowerCase());
    if (this.#admins.some((g) => refs.includes(g))) return { result: AuthorizeResult.ALLOW };
    if (rule?.refs.some((g) => refs.includes(g))) return { result: AuthorizeResult.ALLOW };
    if (taskOwnerOnly) {
      // The scaffolder's IS_TASK_OWNER rule (@backstage/plugin-scaffolder-backend/alpha,
      // scaffolderTaskConditions.isTaskOwner): runs whose createdBy is this user.
      return {
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'scaffolder',
        resourceType: 'scaffolder-task',
        conditions: { rule: 'IS_TASK_OWNER', resourceType: 'scaffolder-task', params: { createdBy: [info.userEntityRef] } },
      };
    }
    const allowed = [...this.#admins, ...(rule?.refs ?? [])];
    this.#logger.info(`permission ${name} denied to ${info.userEntityRef}: not in ${allowed.join(', ') || '(no group configured)'}${rule ? ` (grant ${rule.grant})` : ''}`);
    return { result: AuthorizeResult.DENY };
  }
}

export const permissionModuleKeycloakGroupPolicy = createBackendModule({
  pluginId: 'permission',
  moduleId: 'keycloak-group-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint, config: coreServices.rootConfig, userInfo: coreServices.userInfo, logger: coreServices.logger },
      async init({ policy, config, userInfo, logger }) {
        const { adminGroups, grants } = readPermissionSettings(config);
        const describe = (v: string[]) => (v.includes(EVERYONE) ? 'every signed-in user' : v.join(', ') || 'admins only');
        const granted = (Object.keys(grants) as GrantName[]).map((g) => `${g}: ${describe(grants[g])}`).join('; ');
        logger.info(`permission policy: every signed-in user reads (scaffolder runs: their owner); admins ${adminGroups.join(', ') || 'none'} do everything; ${granted}`);
        policy.setPolicy(new KeycloakGroupPolicy({ adminGroups, grants, userInfo, logger }));
      },
    });
  },
});
