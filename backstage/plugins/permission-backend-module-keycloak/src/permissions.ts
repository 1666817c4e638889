/**
 * The permission policy of backstage-keycloak: least privilege by Keycloak group.
 *
 *   - Every signed-in user may do what a permission marks as `read` (catalog entities, locations,
 *     ingestion status, and any other plugin's read permissions).
 *   - Everything else (catalog entity delete, refresh, create; location create, analyze, delete,
 *     i.e. registering and unregistering; entity validation; ingestion management; any other
 *     plugin's create/update/delete) is reserved to members of backstageKeycloak.permissions.adminGroups
 *     (the chart sets it from global.permissions.adminGroups, default `admins`).
 *   - A request without a signed-in user is denied (service-to-service calls never reach the
 *     policy: Backstage allows them before asking it).
 *
 * Membership is read from the user's ownership references, which Backstage fills at sign-in from
 * the catalog User's memberOf relations: with Keycloak ingestion, group:default/<group name>.
 * So adminGroups names catalog Groups, i.e. Keycloak group names (not paths).
 */
import { coreServices, createBackendModule, type LoggerService, type UserInfoService } from '@backstage/backend-plugin-api';
import { AuthorizeResult, type PolicyDecision } from '@backstage/plugin-permission-common';
import type { PermissionPolicy, PolicyQuery, PolicyQueryUser } from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';

/** `admins` -> group:default/admins; a full ref (group:ns/name) is kept as it is (lower-cased). */
export function adminGroupRefs(names: string[]): string[] {
  return names.map((n) => (n.includes(':') ? n : `group:default/${n}`).toLowerCase());
}

export class KeycloakGroupPolicy implements PermissionPolicy {
  readonly #admins: string[];
  readonly #userInfo: UserInfoService;
  readonly #logger: LoggerService;

  constructor(opts: { adminGroups: string[]; userInfo: UserInfoService; logger: LoggerService }) {
    this.#admins = adminGroupRefs(opts.adminGroups);
    this.#userInfo = opts.userInfo;
    this.#logger = opts.logger;
  }

  async handle(request: PolicyQuery, user?: PolicyQueryUser): Promise<PolicyDecision> {
    if (!user) return { result: AuthorizeResult.DENY };
    if (request.permission.attributes.action === 'read') return { result: AuthorizeResult.ALLOW };
    const info = await this.#userInfo.getUserInfo(user.credentials);
    const refs = info.ownershipEntityRefs.map((r) => r.toLowerCase());
    if (this.#admins.some((g) => refs.includes(g))) return { result: AuthorizeResult.ALLOW };
    this.#logger.info(`permission ${request.permission.name} denied to ${info.userEntityRef}: not in ${this.#admins.join(', ') || '(no admin group configured)'}`);
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
        const adminGroups = config.getOptionalStringArray('backstageKeycloak.permissions.adminGroups') ?? ['admins'];
        logger.info(`permission policy: every signed-in user reads; everything else only for ${adminGroupRefs(adminGroups).join(', ') || 'nobody'}`);
        policy.setPolicy(new KeycloakGroupPolicy({ adminGroups, userInfo, logger }));
      },
    });
  },
});

