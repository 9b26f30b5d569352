"""The front's raw RSA operation (CRT) equals the textbook ``pow(m, d, n)``."""

import random

from cryptography.hazmat.primitives.asymmetric import padding, rsa

from rempart.lab.tlsfront import premaster_well_formed, raw_rsa_private


def test_the_crt_private_operation_matches_the_plain_one():
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    numbers = key.private_numbers()
    n, d = numbers.public_numbers.n, numbers.d
    rng = random.Random(7)
    for value in (0, 1, 2, n - 1, *(rng.randrange(n) for _ in range(20))):
        assert raw_rsa_private(key, value) == pow(value, d, n)


def test_a_real_pkcs1_premaster_is_well_formed_and_a_random_block_is_not():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cipher = key.public_key().encrypt(b"\x03\x03" + bytes(46), padding.PKCS1v15())
    body = len(cipher).to_bytes(2, "big") + cipher
    assert premaster_well_formed(key, body, 0x0303)
    garbage = bytes(2) + random.Random(1).randbytes(256)
    assert not premaster_well_formed(key, garbage, 0x0303)
