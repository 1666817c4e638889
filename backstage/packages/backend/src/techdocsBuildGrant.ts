/**
 * Who may trigger a TechDocs build: upstream's TechDocs backend builds stale docs for anyone who
 * can read the entity (GET /api/techdocs/sync/:namespace/:kind/:name runs the generator) and asks
 * no permission first. This module of the techdocs plugin puts a handler in front of that route
 * (a module's routes are mounted before its plugin's) that asks the permission policy for
 * backstage-keycloak.techdocs.build (grant buildTechDocs, global.permissions.grants.buildTechDocs;
 * default every signed-in user). Denied: the answer is the TechDocs event stream's
 * `finish {updated: false}`, so the reader shows the docs as last published, and nothing is built.
 */
import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { techdocsBuildPermission } from '@backstage-keycloak/plugin-permission-backend-module-keycloak';

export default createBackendModule({
  pluginId: 'techdocs',
  moduleId: 'keycloak-build-grant',
  register(reg) {
    reg.registerInit({
      deps: { http: coreServices.httpRouter, httpAuth: coreServices.httpAuth, permissions: coreServices.permissions, logger: coreServices.logger },
      async init({ http, httpAuth, permissions, logger }) {
        http.use(async (req, res, next) => {
          if (req.method !== 'GET' || !/^\/sync\/[^/]+\/[^/]+\/[^/]+$/.test(req.path)) {
            next();
            return;
          }
          try {
            const credentials = await httpAuth.credentials(req);
            const [decision] = await permissions.authorize([{ permission: techdocsBuildPermission }], { credentials });
            if (decision?.result === AuthorizeResult.ALLOW) {
              next();
              return;
            }
            logger.info(`TechDocs build of ${req.path.slice('/sync/'.length)} not triggered: ${techdocsBuildPermission.name} denied; serving the published docs`);
            res.writeHead(200, { Connection: 'keep-alive', 'Cache-Control': 'no-cache', 'Content-Type': 'text/event-stream' });
            res.end(`event: finish\ndata: ${JSON.stringify({ updated: false })}\n\n`);
          } catch (e) {
            next(e);
          }
        });
      },
    });
  },
});
