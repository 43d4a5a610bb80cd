// Template assertions on the managed login (lib/managed-login.ts): the domain, the confidential
// app client of the server-side frontend, and the outputs its configuration is written from.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate, logicalId, onlyOfType, resourcesOfType, synth } from './helpers';

const base = synth();
const { stack, json: t } = base;
const serverClient = logicalId(stack, stack.managedLogin.webServerClient);
const webClient = logicalId(stack, stack.userPoolClient);
const userPool = logicalId(stack, stack.userPool);

describe('managed login', () => {
  it('gives the user pool a domain with the newer managed login, prefix read-file-<account> by default', () => {
    const [, domain] = onlyOfType(t, 'AWS::Cognito::UserPoolDomain');
    assert.deepEqual(domain.Properties!.UserPoolId, { Ref: userPool });
    assert.equal(domain.Properties!.ManagedLoginVersion, 2);
    assert.equal(evaluate(domain.Properties!.Domain, { 'AWS::AccountId': '123456789012' }), 'read-file-123456789012');
    const [, branding] = onlyOfType(t, 'AWS::Cognito::ManagedLoginBranding');
    assert.deepEqual(branding.Properties!.ClientId, { Ref: serverClient });
    assert.equal(branding.Properties!.UseCognitoProvidedValues, true);
  });

  it('the server-side frontend\'s client: a secret, the code flow only, its callback and sign-out URLs from frontendOrigin', () => {
    const client = t.Resources[serverClient].Properties!;
    assert.equal(client.GenerateSecret, true);
    assert.deepEqual(client.AllowedOAuthFlows, ['code']);
    assert.equal(client.AllowedOAuthFlowsUserPoolClient, true);
    assert.deepEqual([...client.AllowedOAuthScopes].sort(), ['email', 'openid', 'profile']);
    assert.deepEqual(client.CallbackURLs, ['http://localhost:3000/api/auth/callback/cognito']);
    assert.deepEqual(client.LogoutURLs, ['http://localhost:3000/']);
    assert.deepEqual(client.SupportedIdentityProviders, ['COGNITO']);
    assert.deepEqual([...client.ExplicitAuthFlows].sort(), ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
    assert.equal(client.PreventUserExistenceErrors, 'ENABLED');
    assert.equal(client.EnableTokenRevocation, true);
    const other = synth({ frontendOrigin: 'https://files.example.com' });
    const otherClient = other.json.Resources[logicalId(other.stack, other.stack.managedLogin.webServerClient)].Properties!;
    assert.deepEqual(otherClient.CallbackURLs, ['https://files.example.com/api/auth/callback/cognito']);
    assert.deepEqual(otherClient.LogoutURLs, ['https://files.example.com/']);
  });

  it('leaves the web page\'s client as it was: no secret, no OAuth', () => {
    const client = t.Resources[webClient].Properties!;
    assert.equal(client.GenerateSecret, false);
    assert.notEqual(client.AllowedOAuthFlowsUserPoolClient, true);
    assert.deepEqual(resourcesOfType(t, 'AWS::Cognito::UserPoolClient').map(([id]) => id).sort(), [serverClient, webClient].sort());
  });

  it('outputs what the frontend needs, never the client secret', () => {
    const o = t.Outputs!;
    assert.deepEqual(o.WebServerClientId.Value, { Ref: serverClient });
    assert.equal(o.WebServerCallbackUrl.Value, 'http://localhost:3000/api/auth/callback/cognito');
    assert.equal(o.WebServerLogoutUrl.Value, 'http://localhost:3000/');
    // The pool's ProviderURL is its issuer, https://cognito-idp.<region>.amazonaws.com/<pool id>.
    assert.deepEqual(o.OidcIssuer.Value, { 'Fn::GetAtt': [userPool, 'ProviderURL'] });
    assert.equal(evaluate(o.OidcDiscoveryUrl.Value), `<${userPool}.ProviderURL>/.well-known/openid-configuration`);
    assert.match(JSON.stringify(o.ManagedLoginUrl.Value), /amazoncognito\.com/);
    assert.ok(!JSON.stringify(t.Outputs).includes('ClientSecret'), 'no output reads the secret');
  });

  it('takes the domain prefix from the domainPrefix setting, and refuses one Cognito would', () => {
    const custom = synth({ domainPrefix: 'files-login' });
    const [, domain] = onlyOfType(custom.json, 'AWS::Cognito::UserPoolDomain');
    assert.equal(domain.Properties!.Domain, 'files-login');
    for (const bad of ['Files', 'my-cognito-login', '-files', 'files_login']) {
      assert.throws(() => synth({ domainPrefix: bad }), /domainPrefix/, bad);
    }
  });
});
