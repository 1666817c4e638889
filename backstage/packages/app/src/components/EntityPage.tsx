/**
 * Entity pages of the catalog (an EntityLayout per kind): components (overview, APIs, docs), APIs
 * (definition), groups (profile, members, ownership: Keycloak groups and their members), users
 * (profile, ownership: Keycloak users), systems/domains and a default page.
 */
import React from 'react';
import { Grid, type GridSize } from '@material-ui/core';
import {
  EntityAboutCard,
  EntityDependsOnComponentsCard,
  EntityHasComponentsCard,
  EntityHasResourcesCard,
  EntityHasSubcomponentsCard,
  EntityHasSystemsCard,
  EntityLayout,
  EntityLinksCard,
  EntityOrphanWarning,
  EntityProcessingErrorsPanel,
  EntitySwitch,
  hasCatalogProcessingErrors,
  isKind,
  isOrphan,
} from '@backstage/plugin-catalog';
import { EntityGroupProfileCard, EntityMembersListCard, EntityOwnershipCard, EntityUserProfileCard } from '@backstage/plugin-org';
import {
  EntityApiDefinitionCard,
  EntityConsumedApisCard,
  EntityConsumingComponentsCard,
  EntityProvidedApisCard,
  EntityProvidingComponentsCard,
} from '@backstage/plugin-api-docs';
import { EntityTechdocsContent } from '@backstage/plugin-techdocs';
import { TechDocsAddons } from '@backstage/plugin-techdocs-react';
import { ReportIssue } from '@backstage/plugin-techdocs-module-addons-contrib';
import { EntityCatalogGraphCard } from '@backstage/plugin-catalog-graph';

const techdocsContent = (
  <EntityTechdocsContent>
    <TechDocsAddons>
      <ReportIssue />
    </TechDocsAddons>
  </EntityTechdocsContent>
);

const entityWarningContent = (
  <>
    <EntitySwitch>
      <EntitySwitch.Case if={isOrphan}>
        <Grid item xs={12}>
          <EntityOrphanWarning />
        </Grid>
      </EntitySwitch.Case>
    </EntitySwitch>
    <EntitySwitch>
      <EntitySwitch.Case if={hasCatalogProcessingErrors}>
        <Grid item xs={12}>
          <EntityProcessingErrorsPanel />
        </Grid>
      </EntitySwitch.Case>
    </EntitySwitch>
  </>
);

/** A card in a grid cell: `md` columns from the medium breakpoint, the full width below it. */
type Cell = [card: React.ReactNode, md: GridSize];

/** A grid of cards, the entity's warnings first when `warnings` is set. */
const cards = (cells: Cell[], warnings = true) => (
  <Grid container spacing={3} alignItems="stretch">
    {warnings && entityWarningContent}
    {cells.map(([card, md], i) => (
      <Grid item xs={12} md={md} key={i}>
        {card}
      </Grid>
    ))}
  </Grid>
);

/** An entity page: tabs of [path, title, content]. */
const layout = (tabs: [path: string, title: string, content: React.JSX.Element][]) => (
  <EntityLayout>
    {tabs.map(([path, title, content]) => (
      <EntityLayout.Route path={path} title={title} key={path}>
        {content}
      </EntityLayout.Route>
    ))}
  </EntityLayout>
);

const overviewContent = cards([
  [<EntityAboutCard />, 6],
  [<EntityCatalogGraphCard height={400} />, 6],
  [<EntityLinksCard />, 4],
  [<EntityHasSubcomponentsCard />, 8],
]);

const componentPage = layout([
  ['/', 'Overview', overviewContent],
  ['/api', 'API', cards([[<EntityProvidedApisCard />, 6], [<EntityConsumedApisCard />, 6]], false)],
  ['/dependencies', 'Dependencies', cards([[<EntityDependsOnComponentsCard />, 6]], false)],
  ['/docs', 'Docs', techdocsContent],
]);

const apiPage = layout([
  [
    '/',
    'Overview',
    cards([
      [<EntityAboutCard />, 6],
      [<EntityCatalogGraphCard height={400} />, 6],
      [<EntityLinksCard />, 4],
      [<EntityProvidingComponentsCard />, 6],
      [<EntityConsumingComponentsCard />, 6],
    ]),
  ],
  ['/definition', 'Definition', cards([[<EntityApiDefinitionCard />, 12]], false)],
]);

const userPage = layout([
  ['/', 'Overview', cards([[<EntityUserProfileCard />, 6], [<EntityOwnershipCard />, 6]])],
]);

const groupPage = layout([
  [
    '/',
    'Overview',
    cards([
      [<EntityGroupProfileCard />, 6],
      [<EntityOwnershipCard />, 6],
      [<EntityMembersListCard />, 12],
    ]),
  ],
]);

const systemPage = layout([
  [
    '/',
    'Overview',
    cards([
      [<EntityAboutCard />, 6],
      [<EntityCatalogGraphCard height={400} />, 6],
      [<EntityHasComponentsCard />, 6],
      [<EntityHasResourcesCard />, 6],
    ]),
  ],
]);

const domainPage = layout([
  ['/', 'Overview', cards([[<EntityAboutCard />, 6], [<EntityHasSystemsCard />, 6]])],
]);

const defaultPage = layout([
  ['/', 'Overview', overviewContent],
  ['/docs', 'Docs', techdocsContent],
]);

export const entityPage = (
  <EntitySwitch>
    <EntitySwitch.Case if={isKind('component')} children={componentPage} />
    <EntitySwitch.Case if={isKind('api')} children={apiPage} />
    <EntitySwitch.Case if={isKind('group')} children={groupPage} />
    <EntitySwitch.Case if={isKind('user')} children={userPage} />
    <EntitySwitch.Case if={isKind('system')} children={systemPage} />
    <EntitySwitch.Case if={isKind('domain')} children={domainPage} />
    <EntitySwitch.Case>{defaultPage}</EntitySwitch.Case>
  </EntitySwitch>
);
