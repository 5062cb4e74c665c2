"""The record codec: exact round trips of every stored type, in both encodings."""

from __future__ import annotations

import json
import subprocess
import sys

import attrs
import msgspec
import pytest
from persistence_support import (
    TS,
    USDT,
    XYZ,
    account_state_samples,
    order_event_samples,
    stored_samples,
)

from livetrade.model import Money, OrderEvent, OrderFilled, Price, Quantity
from livetrade.persistence.codec import Codec, iso8601_from_ns, ns_from_iso8601, supports
from livetrade.persistence.errors import CodecError

CODECS = [
    pytest.param(Codec("msgpack"), id="msgpack"),
    pytest.param(Codec("json"), id="json"),
    pytest.param(Codec("msgpack", timestamps_as_iso8601=True), id="msgpack-iso"),
    pytest.param(Codec("json", timestamps_as_iso8601=True), id="json-iso"),
]


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found


def test_the_samples_cover_every_order_event_type() -> None:
    """A new OrderEvent subclass must get a sample (and so a round-trip test)."""
    assert {type(e) for e in order_event_samples()} == _subclasses(OrderEvent)


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("item", stored_samples(), ids=lambda i: type(i).__name__)
def test_every_stored_type_round_trips_exactly(codec: Codec, item: object) -> None:
    """Decoding gives an equal value of the same type, and encoding it again the same bytes
    (so precisions, currencies and timestamps are exact, not just equal)."""
    data = codec.encode(item, seq=42)
    value, seq = codec.decode_record(data)
    assert type(value) is type(item)
    assert value == item
    assert seq == 42
    assert codec.encode(value, seq=42) == data
    for name in ("price", "last_px", "last_qty", "quantity"):
        if getattr(item, name, None) is not None:
            assert getattr(value, name).precision == getattr(item, name).precision


def test_a_record_is_a_tagged_map_with_exact_fixed_point_values() -> None:
    fill = order_event_samples()[-2]
    record = json.loads(Codec("json").encode(fill, seq=7))
    assert record["type"] == "OrderFilled"
    assert record["seq"] == 7
    assert record["last_qty"] == [250_000_000, 3]
    assert record["last_px"] == [-50_000_000, 2]
    assert record["commission"] == [-10_000_000, "USDT"]
    assert record["order_side"] == "BUY"
    assert record["ts_event"] == TS


def test_raw_values_beyond_64_bits_are_stored_as_decimal_strings() -> None:
    fill = order_event_samples()[-1]
    assert fill.last_qty.raw > 2**63
    for codec in (Codec("msgpack"), Codec("json")):
        record = msgspec.json.decode(Codec("json").encode(fill))
        assert record["last_qty"] == [str(fill.last_qty.raw), 3]
        assert codec.decode(codec.encode(fill)) == fill


def test_an_unregistered_currency_is_stored_in_full() -> None:
    record = json.loads(Codec("json").encode(order_event_samples()[-1]))
    assert record["currency"] == ["XYZ", 4, "CRYPTO", 0, "Test coin"]
    assert record["commission"] == [1_234_500_000, ["XYZ", 4, "CRYPTO", 0, "Test coin"]]
    decoded = Codec().decode(Codec().encode(order_event_samples()[-1]))
    assert decoded.currency == XYZ


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "1970-01-01T00:00:00.000000000Z"),
        (1, "1970-01-01T00:00:00.000000001Z"),
        (TS, "2023-11-14T22:13:20.123456789Z"),
        (-1, "1969-12-31T23:59:59.999999999Z"),
        (253402300799_999999999, "9999-12-31T23:59:59.999999999Z"),
    ],
)
def test_iso8601_timestamps_keep_every_nanosecond(ns: int, text: str) -> None:
    assert iso8601_from_ns(ns) == text
    assert ns_from_iso8601(text) == ns


def test_timestamps_as_iso8601_writes_strings_and_either_form_decodes() -> None:
    state = account_state_samples()[1]
    iso = Codec("json", timestamps_as_iso8601=True)
    record = json.loads(iso.encode(state))
    assert record["ts_event"] == iso8601_from_ns(state.ts_event)
    assert record["ts_init"] == iso8601_from_ns(state.ts_init)
    assert Codec("json").decode(iso.encode(state)) == state
    assert iso.decode(Codec("msgpack").encode(state)) == state


def test_either_encoding_decodes_the_other() -> None:
    """A store whose ``encoding`` setting changed still loads its older records."""
    item = order_event_samples()[0]
    assert Codec("msgpack").decode(Codec("json").encode(item)) == item
    assert Codec("json").decode(Codec("msgpack").encode(item)) == item


def test_msgpack_is_more_compact_than_json() -> None:
    item = order_event_samples()[-2]
    assert len(Codec("msgpack").encode(item)) < len(Codec("json").encode(item))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xc1garbage", "undecodable record"),
        (msgspec.msgpack.encode([1, 2]), "a record is a map, got list"),
        (b'{"type": "Nope"}', "unknown record type 'Nope'"),
        (b'{"x": 1}', "unknown record type None"),
        (b'{"type": "OrderDenied", "reason": "r"}', "OrderDenied record: missing or unknown"),
    ],
)
def test_bad_bytes_raise_codec_error(data: bytes, message: str) -> None:
    with pytest.raises(CodecError) as excinfo:
        Codec().decode(data)
    assert message in str(excinfo.value)


def test_bad_values_raise_codec_error_naming_the_record() -> None:
    record = json.loads(Codec("json").encode(order_event_samples()[-2]))
    record["last_qty"] = [-1, 3]
    with pytest.raises(CodecError, match="a Quantity cannot be negative"):
        Codec().decode(json.dumps(record).encode())
    record = json.loads(Codec("json").encode(order_event_samples()[-2]))
    record["ts_event"] = "yesterday"
    with pytest.raises(CodecError, match=r"not of the form YYYY-MM-DDTHH:MM:SS\.nnnnnnnnnZ"):
        Codec().decode(json.dumps(record).encode())
    record = json.loads(Codec("json").encode(order_event_samples()[-2]))
    record["order_side"] = "UP"
    with pytest.raises(CodecError, match="OrderFilled record: missing or unknown value 'UP'"):
        Codec().decode(json.dumps(record).encode())


def test_a_missing_defaulted_field_takes_its_default() -> None:
    """Records written before a field with a default existed still load."""
    fill = order_event_samples()[-2]
    record = json.loads(Codec("json").encode(fill))
    del record["liquidity_side"]
    del record["position_id"]
    decoded = Codec().decode(json.dumps(record).encode())
    assert isinstance(decoded, OrderFilled)
    assert decoded.position_id is None
    assert decoded.liquidity_side.name == "NO_LIQUIDITY_SIDE"


@attrs.frozen
class _Unsupported:
    value: complex


def test_unsupported_types_are_refused_clearly() -> None:
    assert not supports(_Unsupported)
    assert not supports(dict)
    with pytest.raises(
        CodecError, match="cannot encode _Unsupported: unsupported field type complex"
    ):
        Codec().encode(_Unsupported(1j))
    with pytest.raises(CodecError, match="only attrs classes can be stored"):
        Codec().encode({"a": 1})


def test_money_and_quantities_decode_to_the_registered_currency() -> None:
    money = Money("12.34", USDT)
    fill = attrs.evolve(order_event_samples()[-2], commission=money, last_qty=Quantity("3"))
    decoded = Codec().decode(Codec().encode(fill))
    assert decoded.commission.currency is USDT
    assert decoded.last_qty == Quantity("3") and decoded.last_qty.precision == 0
    assert decoded.last_px == Price("-0.05")


@pytest.mark.parametrize("encoding", ["msgpack", "json"])
def test_a_fresh_process_decodes_every_stored_type_it_never_encoded(encoding: str) -> None:
    """A node that starts up reads before it writes: decoding must not need a prior encode."""
    codec = Codec(encoding)  # type: ignore[arg-type]
    records = [codec.encode(item, seq=i).hex() for i, item in enumerate(stored_samples())]
    script = (
        "import sys, json\n"
        "from livetrade.persistence.codec import Codec\n"
        f"codec = Codec({encoding!r})\n"
        "records = json.loads(sys.stdin.read())\n"
        "print(json.dumps([type(codec.decode_record(bytes.fromhex(r))[0]).__name__"
        " for r in records]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(records),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [type(item).__name__ for item in stored_samples()]
