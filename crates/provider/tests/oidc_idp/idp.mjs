// A real OpenID provider (npm `oidc-provider`) for the consent page's sign-in tests.
// Usage: node idp.mjs ISSUER REDIRECT_URIS CLIENT_SECRET ACCOUNTS_JSON
// It listens on a free port of 127.0.0.1 and prints `listening on URL as ISSUER` once it does.
// ISSUER names the IdP in its tokens and discovery (the tests put a proxy in front of it);
// REDIRECT_URIS are comma-separated; ACCOUNTS_JSON maps a login to the CI the IdP asserts for it in the `ci` claim. Any password is
// accepted (the provider's development login form); consent is implied for the one client.
import Provider from 'oidc-provider';

const [issuer, redirectUris, clientSecret, accountsJson] = process.argv.slice(2);
const accounts = JSON.parse(accountsJson);

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'mydata-provider',
    client_secret: clientSecret,
    redirect_uris: redirectUris.split(','),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  scopes: ['openid', 'ci'],
  claims: { openid: ['sub'], ci: ['ci'] },
  // The CI travels in the ID token itself, where the relying party reads it.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    if (!(id in accounts)) return undefined;
    return { accountId: id, async claims() { return { sub: id, ci: accounts[id] }; } };
  },
  // The institution's own service: the customer is not asked to consent to it separately.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid ci');
    await grant.save();
    return grant;
  },
});

// Port 0: a port picked beforehand by the test could be taken by another socket before this binds it.
const server = provider.listen(0, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port} as ${issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
