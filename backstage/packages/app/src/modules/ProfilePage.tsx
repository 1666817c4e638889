/** Who the signed-in user is, as Backstage resolved them: entity ref, ownership (groups), profile. */
import { useEffect, useState } from 'react';
import { Content, Header, InfoCard, Link, Page, Progress, WarningPanel } from '@backstage/core-components';
import { identityApiRef, useApi } from '@backstage/frontend-plugin-api';

interface Identity {
  userEntityRef: string;
  ownershipEntityRefs: string[];
  displayName?: string;
  email?: string;
}

export function ProfilePage() {
  const identityApi = useApi(identityApiRef);
  const [identity, setIdentity] = useState<Identity>();
  const [error, setError] = useState<Error>();
  useEffect(() => {
    Promise.all([identityApi.getBackstageIdentity(), identityApi.getProfileInfo()])
      .then(([id, profile]) => setIdentity({ ...id, displayName: profile.displayName, email: profile.email }))
      .catch(setError);
  }, [identityApi]);
  return (
    <Page themeId="home">
      <Header title="Signed in through Keycloak" subtitle={identity?.displayName} />
      <Content>
        {error && <WarningPanel title="Could not read your identity">{error.message}</WarningPanel>}
        {!identity && !error && <Progress />}
        {identity && (
          <InfoCard title="Your Backstage identity">
            <dl>
              <dt>User</dt>
              <dd data-testid="user-entity-ref">{identity.userEntityRef}</dd>
              <dt>Email</dt>
              <dd data-testid="email">{identity.email ?? '(none)'}</dd>
              <dt>Ownership (you and your groups)</dt>
              <dd>
                <ul data-testid="ownership">
                  {identity.ownershipEntityRefs.map((ref) => (
                    <li key={ref}>{ref}</li>
                  ))}
                </ul>
              </dd>
            </dl>
            <Link to="/settings">Settings</Link>
            {' · '}
            <button type="button" data-testid="sign-out" onClick={() => identityApi.signOut()}>
              Sign out
            </button>
          </InfoCard>
        )}
      </Content>
    </Page>
  );
}
