"""Unit tests of the managed login's Cognito rules that need no running stack: scopes, redirect
URIs, client authentication methods, at_hash, and SECRET_HASH (the canary covers them end to end)."""

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from managed_login import oauth, tokens  # noqa: E402
from moto.cognitoidp.exceptions import NotAuthorizedError  # noqa: E402
from moto_ext import secret_hash  # noqa: E402

CALLBACK = "http://localhost:3001/api/auth/callback/cognito"


def client(secret=True, **config):
    settings = {"AllowedOAuthFlowsUserPoolClient": True, "SupportedIdentityProviders": ["COGNITO"],
                "AllowedOAuthFlows": ["code"], "AllowedOAuthScopes": ["openid", "email", "profile"],
                "CallbackURLs": [CALLBACK], **config}
    return oauth.Client(SimpleNamespace(id="client1", secret="s3cret", generate_secret=secret, extended_config=settings))


def test_no_scope_means_every_scope_of_the_client():
    assert client().get_allowed_scope(None) == "openid email profile"


@pytest.mark.parametrize("scope", ["openid phone", "aws.cognito.signin.user.admin", "email", "profile email", "custom/read"])
def test_a_scope_the_client_does_not_allow_or_email_without_openid_is_refused(scope):
    assert client().get_allowed_scope(scope) is None


def test_allowed_scopes_are_granted_once_each_in_the_order_asked():
    assert client().get_allowed_scope("email openid email") == "email openid"


@pytest.mark.parametrize("uri", [CALLBACK + "/", CALLBACK.upper(), CALLBACK + "?x=1", "http://127.0.0.1:3001/api/auth/callback/cognito", ""])
def test_redirect_uris_match_character_for_character(uri):
    assert client().check_redirect_uri(CALLBACK)
    assert not client().check_redirect_uri(uri)


def test_confidential_clients_authenticate_with_their_secret_public_ones_without():
    confidential, public = client(), client(secret=False)
    assert confidential.check_endpoint_auth_method("client_secret_basic", "token")
    assert confidential.check_endpoint_auth_method("client_secret_post", "token")
    assert not confidential.check_endpoint_auth_method("none", "token")
    assert not confidential.check_endpoint_auth_method("client_secret_post", "revocation"), "revoke: Basic only"
    assert public.check_endpoint_auth_method("none", "token")
    assert not public.check_endpoint_auth_method("client_secret_basic", "token")
    assert confidential.check_client_secret("s3cret") and not confidential.check_client_secret("s3cre")
    assert not public.check_client_secret("s3cret")


def test_flows_follow_the_client_settings():
    assert client().check_response_type("code") and not client().check_response_type("token")
    assert client(AllowedOAuthFlows=["implicit"]).check_response_type("token")
    assert not client(AllowedOAuthFlowsUserPoolClient=False).check_response_type("code")
    assert not client(SupportedIdentityProviders=[]).check_grant_type("authorization_code")
    assert client().check_grant_type("refresh_token")
    assert not client(ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"]).check_grant_type("refresh_token")
    assert not client().check_grant_type("client_credentials")


def test_at_hash_is_the_oidc_core_example():
    # OpenID Connect Core 1.0, appendix A.3/A.4: this access token has this at_hash (RS256).
    assert tokens.at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y") == "77QmUPtjPfzWtF2AnpK9RQ"


def test_jwts_are_told_from_opaque_refresh_tokens():
    assert oauth.looks_like_jwt("a.b.c")
    assert not oauth.looks_like_jwt("8c4cbd7e-5f5a-4c43-9a8e-1b0e57c2a6f1")
    assert not oauth.looks_like_jwt("a..c")


def moto_client(secret=True):
    return SimpleNamespace(id="client1", secret="s3cret", generate_secret=secret)


def test_secret_hash_is_checked_for_clients_with_a_secret():
    right = secret_hash.secret_hash("s3cret", "client1", "alice")
    secret_hash.check(None, moto_client(), "ADMIN_USER_PASSWORD_AUTH", {"USERNAME": "alice", "SECRET_HASH": right})
    with pytest.raises(NotAuthorizedError, match="Unable to verify secret hash for client client1"):
        secret_hash.check(None, moto_client(), "ADMIN_USER_PASSWORD_AUTH", {"USERNAME": "bob", "SECRET_HASH": right})
    with pytest.raises(NotAuthorizedError, match="configured with secret but SECRET_HASH was not received"):
        secret_hash.check(None, moto_client(), "USER_SRP_AUTH", {"USERNAME": "alice"})
    secret_hash.check(None, moto_client(secret=False), "USER_SRP_AUTH", {"USERNAME": "alice"})  # no secret: no check
