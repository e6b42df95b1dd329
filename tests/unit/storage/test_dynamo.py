"""DynamoDB's number range, which Python's floats exceed."""

from chalicelib.storage.dynamo import Codec


def test_a_float_too_near_zero_for_dynamodb_is_stored_as_zero() -> None:
    # Found by fuzzing the API: a temperature of 2.2e-311 failed the record's write (a 500).
    codec = Codec()
    item = codec.dump({"options": {"temperature": 2.225073858507e-311, "speech_threshold": 0.5}})

    assert codec.load(item) == {"options": {"temperature": 0, "speech_threshold": 0.5}}
