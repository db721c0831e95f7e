"""Bulk encryption and blind index: the same stored format and values as one at a time."""

from dajiuzhu.core import crypto


def test_encrypt_many_decrypts_like_encrypt_and_uses_fresh_nonces():
    values = ["371424198001010011", "", "13800138000", None, "13800138000"]
    sealed = crypto.encrypt_many(values)
    assert [crypto.decrypt(t) for t in sealed] == ["371424198001010011", "", "13800138000", "", "13800138000"]
    assert all(t.startswith("v1:") for t in sealed if t) and sealed[2] != sealed[4]  # random nonce each
    assert len(sealed[0]) == len(crypto.encrypt(values[0]))


def test_blind_index_many_equals_blind_index():
    import hashlib
    import hmac

    values = ["371424198001010011", "", "13800138000"]
    assert crypto.blind_index_many(values) == [crypto.blind_index(v) for v in values]
    _, key = crypto._current()
    assert crypto.blind_index(values[0]) == hmac.new(key, values[0].encode(), hashlib.sha256).hexdigest()


def test_blind_index_many_is_the_hmac_for_any_value_and_key(settings):
    import hashlib
    import hmac

    values = ["371424198001010011", "", "张三", "x" * 200, "13800138000", "a"]
    assert crypto.blind_index_many(values) == [crypto.blind_index(v) for v in values]
    for secret in ("k", "a-much-longer-secret-than-one-block-" * 4):
        settings.FIELD_ENCRYPTION_KEY = secret
        _, key = crypto._current()
        assert crypto.blind_index_many(values) == [
            hmac.new(key, v.encode(), hashlib.sha256).hexdigest() if v else "" for v in values]
        for long_key in (key * 3, b"short"):  # the pads of a key longer than a block, and of a short one
            inner, outer = crypto._pads(long_key)
            i = inner()
            i.update(b"371424198001010011")
            o = outer()
            o.update(i.digest())
            assert o.hexdigest() == hmac.new(long_key, b"371424198001010011", hashlib.sha256).hexdigest()
