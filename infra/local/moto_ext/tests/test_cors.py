"""S3's CORS rule evaluation (moto_ext/cors.py matching_rule): the cases the canary's HTTP requests
do not reach (wildcards, case, rule order), after "How Amazon S3 evaluates the CORS configuration"."""

from moto.s3.models import CorsRule

from moto_ext.cors import matching_rule


def rule(origins, methods, headers=None):
    return CorsRule(allowed_methods=methods, allowed_origins=origins, allowed_headers=headers)


def test_the_first_rule_matching_origin_method_and_headers_wins():
    first, second = rule(["https://a.example"], ["GET"]), rule(["https://a.example"], ["GET", "PUT"], ["*"])
    assert matching_rule([first, second], "https://a.example", "GET") is first
    assert matching_rule([first, second], "https://a.example", "PUT", ["content-type"]) is second
    assert matching_rule([first, second], "https://a.example", "GET", ["content-type"]) is second


def test_an_origin_wildcard_matches_one_span_and_origins_are_compared_exactly():
    rules = [rule(["https://*.example.com"], ["GET"])]
    assert matching_rule(rules, "https://app.example.com", "GET")
    assert matching_rule(rules, "https://example.com", "GET") is None
    assert matching_rule(rules, "http://app.example.com", "GET") is None
    assert matching_rule([rule(["http://localhost:3000"], ["GET"])], "http://localhost:30000", "GET") is None


def test_headers_match_case_insensitively_with_wildcards_and_all_must_match():
    rules = [rule(["*"], ["PUT"], ["Content-Type", "x-amz-meta-*"])]
    assert matching_rule(rules, "https://x", "PUT", ["content-type", "x-amz-meta-owner"])
    assert matching_rule(rules, "https://x", "PUT", ["content-type", "x-amz-acl"]) is None
    assert matching_rule([rule(["*"], ["PUT"])], "https://x", "PUT", ["content-type"]) is None  # no AllowedHeaders


def test_methods_are_exact_and_no_rules_allow_nothing():
    assert matching_rule([rule(["*"], ["GET"])], "https://x", "get") is None
    assert matching_rule([], "https://x", "GET") is None and matching_rule(None, "https://x", "GET") is None
