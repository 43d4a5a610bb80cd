"""The keys of API Gateway's REST (v1) Lambda proxy event for an AWS_IAM method called with Cognito
identity-pool credentials, as AWS documents it ("Input format of a Lambda function for proxy
integration", REST APIs) and as the aws_lambda_events crate's fixture example-apigw-request.json
has it (minus `authorizer`, present only with a Lambda/Cognito authorizer, and `apiKey`/`apiKeyId`,
present only with API keys). Values are not pinned: only names and where they sit."""

TOP_LEVEL = {
    "resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
    "multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext", "body",
    "isBase64Encoded",
}
REQUEST_CONTEXT = {
    "resourceId", "resourcePath", "httpMethod", "extendedRequestId", "requestTime", "path", "accountId",
    "protocol", "stage", "domainPrefix", "requestTimeEpoch", "requestId", "identity", "domainName", "apiId",
}
IDENTITY = {
    "cognitoIdentityPoolId", "accountId", "cognitoIdentityId", "caller", "sourceIp", "principalOrgId",
    "accessKey", "cognitoAuthenticationType", "cognitoAuthenticationProvider", "userArn", "userAgent", "user",
}


def check_keys(event):
    """Assert the documented key sets (an event or its shape: only keys are compared)."""
    assert set(event) == TOP_LEVEL, set(event) ^ TOP_LEVEL
    assert set(event["requestContext"]) == REQUEST_CONTEXT, set(event["requestContext"]) ^ REQUEST_CONTEXT
    identity = event["requestContext"]["identity"]
    assert set(identity) == IDENTITY, set(identity) ^ IDENTITY
