// The GitHub Actions deploy role (context githubRepo): assumed with GitHub's OIDC token by one
// repository's jobs in one environment, deploys through the CDK bootstrap roles, and may do what the
// smoke check needs on this stack's own pool, identity pool and bucket prefix, nothing more.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GITHUB_OIDC_HOST } from '../lib/read-file-stack';
import { asArray, evaluate, logicalId, onlyOfType, resourcesOfType, synth } from './helpers';

const REPO = 'acme/read-file';
const gh = synth({ githubDeploy: { repository: REPO } });
const t = gh.json;
const roleId = logicalId(gh.stack, gh.stack.deployRole!);
const names = {
  'AWS::Partition': 'aws', 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '123456789012', 'AWS::StackId': 'STACK-ARN',
  [`${logicalId(gh.stack, gh.stack.userPool)}.Arn`]: 'POOL-ARN',
  [logicalId(gh.stack, gh.stack.identityPool)]: 'eu-west-1:pool',
  [`${logicalId(gh.stack, gh.stack.bucket)}.Arn`]: 'arn:aws:s3:::bucket',
};
const policy = () => {
  const attached = resourcesOfType(t, 'AWS::IAM::Policy').filter(([, r]) => asArray<any>(r.Properties!.Roles).some((x) => x.Ref === roleId));
  assert.equal(attached.length, 1);
  return evaluate(attached[0][1].Properties!.PolicyDocument, names);
};

describe('GitHub deploy role', () => {
  it('is absent unless githubRepo is given', () => {
    const plain = synth();
    assert.equal(plain.stack.deployRole, undefined);
    assert.equal(resourcesOfType(plain.json, 'AWS::IAM::OIDCProvider').length, 0);
    assert.equal(plain.json.Outputs!.GithubDeployRoleArn, undefined);
  });

  it("creates GitHub's OIDC provider (audience sts.amazonaws.com), natively, no custom resource", () => {
    const [, provider] = onlyOfType(t, 'AWS::IAM::OIDCProvider');
    assert.equal(provider.Properties!.Url, `https://${GITHUB_OIDC_HOST}`);
    assert.deepEqual(provider.Properties!.ClientIdList, ['sts.amazonaws.com']);
    assert.equal(resourcesOfType(t, 'AWS::CloudFormation::CustomResource').length, 0);
    assert.equal(resourcesOfType(t, 'AWS::Lambda::Function').length, 2, 'only the read-file and revocations functions');
  });

  it('trusts only that repository\'s jobs in that environment, with the STS audience, for an hour at most', () => {
    const role = t.Resources[roleId].Properties!;
    const [providerId] = onlyOfType(t, 'AWS::IAM::OIDCProvider');
    assert.deepEqual(role.AssumeRolePolicyDocument.Statement, [{
      Effect: 'Allow',
      Action: 'sts:AssumeRoleWithWebIdentity',
      Principal: { Federated: { Ref: providerId } },
      Condition: {
        StringEquals: {
          'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
          'token.actions.githubusercontent.com:sub': `repo:${REPO}:environment:production`,
        },
      },
    }]);
    assert.equal(role.MaxSessionDuration, 3600);
    assert.equal(role.ManagedPolicyArns, undefined);
    assert.equal(role.Policies, undefined);
  });

  it('may deploy only through the CDK bootstrap roles, and do what the smoke check needs on this stack only', () => {
    const cdk = (name: string) => `arn:aws:iam::123456789012:role/cdk-hnb659fds-${name}-123456789012-eu-west-1`;
    assert.deepEqual(policy().Statement, [
      { Sid: 'DeployThroughTheCdkBootstrapRoles', Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession'],
        Resource: [cdk('deploy-role'), cdk('file-publishing-role'), cdk('lookup-role')] },
      { Sid: 'PreflightReadsTheBootstrapVersion', Effect: 'Allow', Action: 'ssm:GetParameter',
        Resource: 'arn:aws:ssm:eu-west-1:123456789012:parameter/cdk-bootstrap/hnb659fds/version' },
      { Sid: 'PreflightAndOutputsReadThisStack', Effect: 'Allow', Action: 'cloudformation:DescribeStacks', Resource: 'STACK-ARN' },
      { Sid: 'SmokeThrowAwayUsers', Effect: 'Allow', Action: [
        'cognito-idp:AdminCreateUser', 'cognito-idp:AdminSetUserPassword', 'cognito-idp:AdminInitiateAuth',
        'cognito-idp:AdminDisableUser', 'cognito-idp:AdminDeleteUser', 'cognito-idp:AdminGetUser'], Resource: 'POOL-ARN' },
      { Sid: 'SmokeRemovesItsIdentities', Effect: 'Allow', Action: ['cognito-identity:DeleteIdentities', 'cognito-identity:ListIdentities'],
        Resource: 'arn:aws:cognito-identity:eu-west-1:123456789012:identitypool/eu-west-1:pool' },
      { Sid: 'SmokeListsWhatItLeft', Effect: 'Allow', Action: ['s3:ListBucket', 's3:ListBucketVersions'], Resource: 'arn:aws:s3:::bucket',
        Condition: { StringLike: { 's3:prefix': ['cognito-test/*', 'cognito-test-shared/*'] } } },
      { Sid: 'SmokeRemovesWhatItLeft', Effect: 'Allow', Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
        Resource: ['arn:aws:s3:::bucket/cognito-test/*', 'arn:aws:s3:::bucket/cognito-test-shared/*'] },
    ]);
  });

  it('no read of user data, no IAM, no wildcard action', () => {
    const actions = policy().Statement.flatMap((s: any) => asArray<string>(s.Action));
    for (const a of actions) {
      assert.ok(!a.includes('*'), a);
      assert.ok(!/^iam:|^s3:GetObject|^s3:PutObject|^lambda:|^cloudformation:(Create|Update|Delete)/.test(a), a);
    }
  });

  it('environment, qualifier and an existing OIDC provider are configurable; outputs name the role', () => {
    const arn = `arn:aws:iam::123456789012:oidc-provider/${GITHUB_OIDC_HOST}`;
    const s = synth({ githubDeploy: { repository: REPO, environment: 'staging', cdkQualifier: 'abc123', oidcProviderArn: arn } });
    assert.equal(resourcesOfType(s.json, 'AWS::IAM::OIDCProvider').length, 0, 'the existing provider is used');
    const role = s.json.Resources[logicalId(s.stack, s.stack.deployRole!)].Properties!;
    const st = role.AssumeRolePolicyDocument.Statement[0];
    assert.equal(st.Principal.Federated, arn);
    assert.equal(st.Condition.StringEquals['token.actions.githubusercontent.com:sub'], `repo:${REPO}:environment:staging`);
    assert.ok(JSON.stringify(s.json).includes('cdk-abc123-deploy-role'));
    assert.deepEqual(s.json.Outputs!.GithubDeployRepository.Value, `${REPO}:staging`);
    assert.deepEqual(gh.json.Outputs!.GithubDeployRoleArn.Value, { 'Fn::GetAtt': [roleId, 'Arn'] });
  });

  it('refuses a malformed repository, environment, qualifier or provider ARN', () => {
    assert.throws(() => synth({ githubDeploy: { repository: 'acme' } }), /githubRepo/);
    assert.throws(() => synth({ githubDeploy: { repository: 'acme/x:environment:*' } }), /githubRepo/);
    assert.throws(() => synth({ githubDeploy: { repository: REPO, environment: 'prod*' } }), /githubEnvironment/);
    assert.throws(() => synth({ githubDeploy: { repository: REPO, cdkQualifier: 'Bad' } }), /cdkQualifier/);
    assert.throws(() => synth({ githubDeploy: { repository: REPO, oidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/example.com' } }), /githubOidcProvider/);
  });
});
