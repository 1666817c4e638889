/**
 * What this portal adds to the plugins' features (App.tsx):
 *   portalPlugin     Home at `/` (and `/profile`): who you are as Backstage resolved you, your
 *                    groups, and the sign-out button (ProfilePage.tsx)
 *   portalNavModule  the sidebar: Search, then Home, Catalog, APIs, Docs, Create..., then Settings
 *                    at the bottom; pages of plugins added later are listed after Create...
 * The entity pages, search results and settings are the plugins' own extensions.
 */
import type { ComponentType, JSX } from 'react';
import { Sidebar, SidebarDivider, SidebarGroup, SidebarItem, SidebarScrollWrapper, SidebarSpace } from '@backstage/core-components';
import { createFrontendModule, createFrontendPlugin, createRouteRef, PageBlueprint } from '@backstage/frontend-plugin-api';
import { NavContentBlueprint, type NavContentComponentProps, type NavContentNavItem } from '@backstage/plugin-app-react';
import HomeIcon from '@material-ui/icons/Home';
import MenuIcon from '@material-ui/icons/Menu';
import { ProfilePage } from './ProfilePage';

const homeRouteRef = createRouteRef();

const homePage = PageBlueprint.make({
  params: {
    path: '/',
    routeRef: homeRouteRef,
    title: 'Home',
    icon: <HomeIcon fontSize="inherit" />,
    noHeader: true,
    loader: async () => <ProfilePage />,
  },
});

const profilePage = PageBlueprint.make({
  name: 'profile',
  params: { path: '/profile', noHeader: true, loader: async () => <ProfilePage /> },
});

/** Home and the profile page, as the plugin `portal` (page:portal, page:portal/profile). */
export const portalPlugin = createFrontendPlugin({
  pluginId: 'portal',
  routes: { root: homeRouteRef },
  extensions: [homePage, profilePage],
});

/** Page extensions whose nav items the sidebar places itself, in order, with the text shown. */
const MENU: [id: string, text?: string][] = [
  ['page:portal'],
  ['page:catalog'],
  ['page:api-docs'],
  ['page:techdocs'],
  ['page:scaffolder', 'Create...'],
];
/** Pages that have a nav item but stay out of the sidebar (reached from entity pages). */
const HIDDEN = ['page:catalog-graph'];

function navItem(item: NavContentNavItem | undefined, text?: string): JSX.Element | null {
  if (!item) return null;
  const Icon: ComponentType = () => item.icon;
  return <SidebarItem key={item.node.spec.id} to={item.href} icon={Icon} text={text ?? item.title} />;
}

function PortalNav({ navItems }: NavContentComponentProps) {
  const search = navItems.take('page:search');
  const settings = navItems.take('page:user-settings');
  const menu = MENU.map(([id, text]) => navItem(navItems.take(id), text));
  for (const id of HIDDEN) navItems.take(id);
  const others = navItems.rest().map((item) => navItem(item));
  return (
    <Sidebar>
      {navItem(search)}
      <SidebarDivider />
      <SidebarGroup label="Menu" icon={<MenuIcon />}>
        {menu}
        <SidebarDivider />
        <SidebarScrollWrapper>{others}</SidebarScrollWrapper>
      </SidebarGroup>
      <SidebarSpace />
      <SidebarDivider />
      {navItem(settings)}
    </Sidebar>
  );
}

/** The sidebar, replacing the app plugin's default nav content (a flat list of every page). */
export const portalNavModule = createFrontendModule({
  pluginId: 'app',
  extensions: [NavContentBlueprint.make({ params: { component: PortalNav } })],
});
