"""The shared SigV4 module (moto_ext/sigv4.py): what is signed, for S3 and for every other service.
Expected values are written out by hand from AWS's SigV4 specification; the verifiers built on it
are tested against botocore in test_sigv4_query.py and gateway/tests/test_auth.py."""

from moto_ext import sigv4


def test_s3_encodes_the_decoded_path_once_other_services_the_received_path_again():
    assert sigv4.canonical_uri("/b/us-east-1%3Aid/a%20b", s3=True) == "/b/us-east-1%3Aid/a%20b"
    assert sigv4.canonical_uri("/b/us-east-1:id/a b", s3=True) == "/b/us-east-1%3Aid/a%20b"
    assert sigv4.canonical_uri("/v1/read%20file", s3=False) == "/v1/read%2520file"
    assert sigv4.canonical_uri("/v1/./a//b/../c", s3=False) == "/v1/a/c"
    assert sigv4.canonical_uri("", s3=False) == "/" and sigv4.canonical_uri("", s3=True) == "/"


def test_the_query_is_decoded_to_bytes_and_strictly_re_encoded_and_sorted():
    pairs = sigv4.query_pairs("b=2&a=%FF&a=%fe&c&&d=a+b%2Fc~")
    assert pairs == [(b"b", b"2"), (b"a", b"\xff"), (b"a", b"\xfe"), (b"c", b""), (b"d", b"a+b/c~")]
    assert sigv4.canonical_query(pairs) == "a=%FE&a=%FF&b=2&c=&d=a%2Bb%2Fc~"
    assert sigv4.canonical_query(sigv4.query_pairs("X-Amz-Signature=ab&x=1"), leave_out=["X-Amz-Signature"]) == "x=1"


def test_a_raw_query_received_as_latin_1_text_is_its_bytes_not_their_utf_8():
    assert sigv4.query_pairs("k=\xe9") == [(b"k", b"\xe9")]  # one byte 0xE9 received
    assert sigv4.text_pairs("k=%C3%A9&x=%FF") == [("k", "\xe9"), ("x", "\ufffd")]


def test_trimall_trims_the_ends_and_collapses_runs_of_spaces_only():
    assert sigv4.trimall("  a   b  ") == "a b"
    assert sigv4.trimall("\ta \t b\t") == "a \t b"
    assert sigv4.trimall("a\xa0\xa0b") == "a\xa0\xa0b"


def test_canonical_headers_join_repeats_and_leave_an_absent_header_empty():
    headers = sigv4.header_lists([("Host", "h"), ("X-A", " one "), ("x-a", "two  three")])
    assert sigv4.canonical_headers(headers, ["host", "x-a", "x-b"]) == "host:h\nx-a:one,two three\nx-b:\n"
