// Cognito's managed login for a server-side frontend (examples/nextjs: Next.js + Auth.js): the
// user pool's domain, a confidential app client with the authorization-code flow, and the
// outputs the frontend's configuration is written from. The local stack creates the same
// (infra/local/provision.py, web_server_client); infra/local/README.md, "Managed login".
import { Aws, CfnOutput, Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';

/** Auth.js's callback path for a provider with id `cognito`. */
export const AUTHJS_CALLBACK_PATH = '/api/auth/callback/cognito';
/** Where the frontend sends the browser after Cognito's /logout. */
export const SIGN_OUT_PATH = '/';

export interface ManagedLoginProps {
  readonly userPool: cognito.UserPool;
  /** The frontend's origin (`https://app.example.com`): its callback and sign-out URLs. */
  readonly frontendOrigin: string;
  /**
   * The Cognito domain prefix (`<prefix>.auth.<region>.amazoncognito.com`), unique per Region
   * across all accounts. @default `read-file-<account id>`
   */
  readonly domainPrefix?: string;
}

export class ManagedLogin extends Construct {
  readonly domain: cognito.UserPoolDomain;
  readonly webServerClient: cognito.UserPoolClient;
  readonly callbackUrl: string;
  readonly logoutUrl: string;

  constructor(scope: Construct, id: string, props: ManagedLoginProps) {
    super(scope, id);
    const prefix = props.domainPrefix === undefined ? Fn.join('', ['read-file-', Aws.ACCOUNT_ID]) : validDomainPrefix(props.domainPrefix);
    this.callbackUrl = `${props.frontendOrigin}${AUTHJS_CALLBACK_PATH}`;
    this.logoutUrl = `${props.frontendOrigin}${SIGN_OUT_PATH}`;

    this.domain = props.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: prefix },
      managedLoginVersion: cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });

    // The server-side frontend keeps a secret, so its client has one: the browser never sees the
    // tokens (they stay in the server's encrypted session cookie) nor the identity's AWS keys.
    this.webServerClient = props.userPool.addClient('WebServerClient', {
      generateSecret: true,
      // ADMIN_USER_PASSWORD_AUTH (with SECRET_HASH): the server-side sign-in of the original
      // article, for scripts; refresh tokens are always allowed.
      authFlows: { adminUserPassword: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [this.callbackUrl],
        logoutUrls: [this.logoutUrl],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });

    // The newer managed login shows a page only for clients with a style: Cognito's defaults.
    new cognito.CfnManagedLoginBranding(this, 'Branding', {
      userPoolId: props.userPool.userPoolId,
      clientId: this.webServerClient.userPoolClientId,
      useCognitoProvidedValues: true,
    });

    // Everything the frontend needs but its secret (never an output: read it with
    // `aws cognito-idp describe-user-pool-client`, examples/nextjs/README.md).
    const stack = Stack.of(this);
    const issuer = props.userPool.userPoolProviderUrl;
    new CfnOutput(stack, 'ManagedLoginUrl', { value: this.domain.baseUrl(), description: 'The user pool domain (managed login)' });
    new CfnOutput(stack, 'OidcIssuer', { value: issuer, description: 'The OIDC issuer of the user pool' });
    new CfnOutput(stack, 'OidcDiscoveryUrl', { value: `${issuer}/.well-known/openid-configuration` });
    new CfnOutput(stack, 'WebServerClientId', { value: this.webServerClient.userPoolClientId, description: 'The confidential app client of the server-side frontend' });
    new CfnOutput(stack, 'WebServerCallbackUrl', { value: this.callbackUrl });
    new CfnOutput(stack, 'WebServerLogoutUrl', { value: this.logoutUrl });
  }
}

function validDomainPrefix(prefix: string): string {
  if (Token.isUnresolved(prefix)) return prefix;
  // Cognito: lowercase letters, digits and hyphens, not starting or ending with a hyphen, at
  // most 63 characters, and none of the reserved words aws, amazon, cognito.
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(prefix) || /aws|amazon|cognito/.test(prefix)) {
    throw new Error(`domainPrefix '${prefix}': lowercase letters, digits and '-' (not at either end), at most 63, without 'aws', 'amazon' or 'cognito'`);
  }
  return prefix;
}
