/** The search page: catalog entities and TechDocs pages (the backend's catalog and techdocs collators). */
import React from 'react';
import { Grid, makeStyles, Paper, type Theme } from '@material-ui/core';
import { Content, Header, Page } from '@backstage/core-components';
import { CatalogSearchResultListItem } from '@backstage/plugin-catalog';
import { catalogApiRef, CATALOG_FILTER_EXISTS } from '@backstage/plugin-catalog-react';
import { SearchType } from '@backstage/plugin-search';
import { SearchBar, SearchFilter, SearchPagination, SearchResult, useSearch } from '@backstage/plugin-search-react';
import { TechDocsSearchResultListItem } from '@backstage/plugin-techdocs';
import { useApi } from '@backstage/core-plugin-api';
import CategoryIcon from '@material-ui/icons/Category';
import LibraryBooks from '@material-ui/icons/LibraryBooks';

const useStyles = makeStyles((theme: Theme) => ({
  bar: { padding: theme.spacing(1, 0) },
  filters: { padding: theme.spacing(2), marginTop: theme.spacing(2) },
}));

function SearchPageContent() {
  const classes = useStyles();
  const { types } = useSearch();
  const catalogApi = useApi(catalogApiRef);
  return (
    <Page themeId="home">
      <Header title="Search" />
      <Content>
        <Grid container direction="row">
          <Grid item xs={12}>
            <Paper className={classes.bar}>
              <SearchBar />
            </Paper>
          </Grid>
          <Grid item xs={3}>
            <SearchType.Accordion
              name="Result Type"
              defaultValue="software-catalog"
              types={[
                { value: 'software-catalog', name: 'Software Catalog', icon: <CategoryIcon /> },
                { value: 'techdocs', name: 'Documentation', icon: <LibraryBooks /> },
              ]}
            />
            <Paper className={classes.filters}>
              {types.includes('techdocs') && (
                <SearchFilter.Select
                  className={classes.filters}
                  label="Entity"
                  name="name"
                  values={async () => {
                    const { items } = await catalogApi.getEntities({ fields: ['metadata.name'], filter: { 'metadata.annotations.backstage.io/techdocs-ref': CATALOG_FILTER_EXISTS } });
                    return items.map((e) => e.metadata.name).sort();
                  }}
                />
              )}
              <SearchFilter.Select className={classes.filters} label="Kind" name="kind" values={['Component', 'API', 'Group', 'User', 'System', 'Template']} />
              <SearchFilter.Checkbox className={classes.filters} label="Lifecycle" name="lifecycle" values={['experimental', 'production']} />
            </Paper>
          </Grid>
          <Grid item xs={9}>
            <SearchPagination />
            <SearchResult>
              <CatalogSearchResultListItem icon={<CategoryIcon />} />
              <TechDocsSearchResultListItem icon={<LibraryBooks />} />
            </SearchResult>
          </Grid>
        </Grid>
      </Content>
    </Page>
  );
}

export const searchPage = <SearchPageContent />;
