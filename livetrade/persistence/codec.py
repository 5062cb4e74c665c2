"""Stored records as msgpack or JSON maps, through msgspec.

Theory of operation
-------------------
A record is one map: ``{"type": <class name>, <field>: <value>, ...}`` plus,
for stored records, ``"seq"`` (the writer's sequence number). Field values are
plain msgpack/JSON values, chosen so a round trip is exact:

=====================  ===================================================
identifier             its string (``"ETHUSDT.BINANCE"``)
``Price``/``Quantity``  ``[raw, precision]``: the integer scaled by 10**9 and
                       the decimals shown; ``raw`` becomes a decimal string
                       beyond 64 bits
``Money``              ``[raw, currency]``
``Currency``           its code when it is the registered currency of that
                       code, else ``[code, precision, type, iso4217, name]``
``Decimal``            its exact string (``"0.0002"``)
enum                   its value
timestamp (``ts_*``,   UNIX nanoseconds, or with ``timestamps_as_iso8601``
``*_ns`` ints)         ``"2024-01-02T03:04:05.123456789Z"`` (always 9 digits)
nested attrs value     a map (with ``"type"`` unless its class is final)
tuple / list           an array
=====================  ===================================================

Decoding accepts both timestamp forms and both encodings (a JSON record starts
with ``{``, a msgpack map never does), so a store keeps working when
``encoding`` or ``timestamps_as_iso8601`` is changed.

Speed: msgspec does the byte work in C; the mapping between an attrs object
and its map is a small function generated once per class from the attrs
fields and their annotations (as attrs and cattrs generate theirs), so encoding
an event is one Python call with attribute reads and no per-field dispatch.
Decoding builds the attrs object through its ``__init__``, so every validator
runs again on load and identifiers are re-validated.

Any attrs class whose fields have the types above can be encoded (the message
bus streamer relies on that); ``supports(cls)`` says whether it can.
"""

from __future__ import annotations

import contextlib
import types
import typing
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Final, Literal, final

import attrs
import msgspec

from livetrade.errors import LiveTradeError
from livetrade.model.enums import CurrencyType
from livetrade.model.identifiers import Identifier
from livetrade.model.money import Currency, Money
from livetrade.model.quantities import FIXED_PRECISION, Price, Quantity
from livetrade.persistence.errors import CodecError

__all__ = [
    "Codec",
    "Encoding",
    "iso8601_from_ns",
    "ns_from_iso8601",
    "supports",
]

Encoding = Literal["msgpack", "json"]

TYPE_KEY: Final = "type"
SEQ_KEY: Final = "seq"

_INT64: Final = 2**63
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_SECOND: Final = timedelta(seconds=1)
_NS: Final = 1_000_000_000


# -- timestamps ---------------------------------------------------------------------------------


def iso8601_from_ns(ns: int) -> str:
    """``ns`` UNIX nanoseconds as ``YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`` (UTC, 9 digits)."""
    seconds, fraction = divmod(ns, _NS)
    moment = _EPOCH + timedelta(seconds=seconds)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{fraction:09d}Z"


def ns_from_iso8601(text: str) -> int:
    """The UNIX nanoseconds of a timestamp written by ``iso8601_from_ns``, exactly."""
    if len(text) != 30 or text[19] != "." or text[29] != "Z" or text[10] != "T":
        raise CodecError(f"timestamp {text!r} is not of the form YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ")
    try:
        moment = datetime.fromisoformat(text[:19]).replace(tzinfo=UTC)
        fraction = int(text[20:29])
    except ValueError as exc:
        raise CodecError(f"timestamp {text!r}: {exc}") from None
    return (moment - _EPOCH) // _ONE_SECOND * _NS + fraction


def _ts(value: object) -> int:
    if type(value) is int:
        return value
    if type(value) is str:
        return ns_from_iso8601(value)
    raise CodecError(f"a timestamp must be an integer or an ISO-8601 string, got {value!r}")


# -- value helpers used by the generated functions --------------------------------------------


def _raw(value: object) -> int:
    if type(value) is int:
        return value
    if type(value) is str:
        return int(value)
    raise CodecError(f"a raw value must be an integer or a decimal string, got {value!r}")


def _fixed(cls: type[Price] | type[Quantity], value: object) -> Price | Quantity:
    if type(value) is not list or len(value) != 2:
        raise CodecError(f"a {cls.__name__} is [raw, precision], got {value!r}")
    raw, precision = _raw(value[0]), value[1]
    if type(precision) is not int or not 0 <= precision <= FIXED_PRECISION:
        raise CodecError(f"{cls.__name__} precision must be 0 to 9, got {precision!r}")
    if cls is Quantity and raw < 0:
        raise CodecError(f"a Quantity cannot be negative, got raw {raw}")
    return cls.from_raw(raw, precision)


def _price(value: object) -> Price:
    return _fixed(Price, value)  # type: ignore[return-value]


def _quantity(value: object) -> Quantity:
    return _fixed(Quantity, value)  # type: ignore[return-value]


_REGISTERED: Final = Currency._registry  # code -> registered Currency (read only)


def _currency_out(currency: Currency) -> object:
    known = _REGISTERED.get(currency.code)
    if known is currency or known == currency:
        return currency.code
    return [
        currency.code,
        currency.precision,
        currency.currency_type.value,
        currency.iso4217,
        currency.name,
    ]


def _currency_in(value: object) -> Currency:
    if type(value) is str:
        return Currency.from_str(value)
    if type(value) is not list or len(value) != 5:
        raise CodecError(
            f"a currency is a code or [code, precision, type, iso, name], got {value!r}"
        )
    code, precision, kind, iso, name = value
    currency = Currency(
        code=code, precision=precision, currency_type=CurrencyType(kind), iso4217=iso, name=name
    )
    try:
        known = Currency.from_str(currency.code)
    except LiveTradeError:
        return currency
    return known if known == currency else currency


_INTERN_LIMIT: Final = 100_000


_Interner = tuple[dict[object, Identifier], Callable[[object], Identifier]]
_INTERNERS: dict[type[Identifier], _Interner] = {}


def _intern(cls: type[Identifier]) -> _Interner:
    """A table and a maker that share one ``cls`` instance per value when decoding.

    Ids repeat across stored events (trader, strategy, instrument, account), and
    building one validates it, so a load reuses what it already built. Identifiers
    are immutable, so sharing is safe; the table is emptied when it grows past
    ``_INTERN_LIMIT`` so unique ids (trade ids) cannot grow it without bound.
    """
    known = _INTERNERS.get(cls)
    if known is not None:
        return known
    table: dict[object, Identifier] = {}

    def make(value: object) -> Identifier:
        if len(table) >= _INTERN_LIMIT:
            table.clear()
        made = table[value] = cls(value)  # type: ignore[arg-type]
        return made

    _INTERNERS[cls] = (table, make)
    return table, make


_GRID_STEPS: Final = tuple(10 ** (FIXED_PRECISION - p) for p in range(FIXED_PRECISION + 1))


def _money_in(value: object) -> Money:
    if type(value) is not list or len(value) != 2:
        raise CodecError(f"money is [raw, currency], got {value!r}")
    raw, currency = _raw(value[0]), _currency_in(value[1])
    if raw % 10 ** (FIXED_PRECISION - currency.precision):
        raise CodecError(f"money raw {raw} is off the {currency.code} precision grid")
    return Money.from_raw(raw, currency)


def _decimal(value: object) -> Decimal:
    if type(value) is not str:
        raise CodecError(f"a decimal is stored as a string, got {value!r}")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise CodecError(f"{value!r} is not a decimal number") from None


# -- generated per-class functions --------------------------------------------------------------

EncodeFn = Callable[[Any], dict[str, Any]]
DecodeFn = Callable[[dict[str, Any]], Any]


@final
@attrs.frozen
class _TypeCodec:
    cls: type
    tag: str
    #: the record map with the ``type`` tag, timestamps as ints or ISO strings
    encode_ns: EncodeFn
    encode_iso: EncodeFn
    #: the same without the tag (a value nested in a field of a known final class)
    fields_ns: EncodeFn
    fields_iso: EncodeFn
    decode: DecodeFn


_BY_CLASS: dict[type, _TypeCodec] = {}
_BY_TAG: dict[str, _TypeCodec] = {}
_UNSUPPORTED: dict[type, str] = {}
_PENDING: set[type] = set()


def _is_timestamp(name: str) -> bool:
    return name.startswith("ts_") or name.endswith("_ns")


def _is_final(cls: type) -> bool:
    return bool(getattr(cls, "__final__", False))


class _Source:
    """Builds the source of one class's encode and decode functions."""

    def __init__(self, namespace: dict[str, object]) -> None:
        self.namespace = namespace
        self._count = 0

    def name(self, value: object, hint: str) -> str:
        self._count += 1
        key = f"_{hint}{self._count}"
        self.namespace[key] = value
        return key

    def var(self) -> str:
        self._count += 1
        return f"_v{self._count}"

    def encode(self, tp: object, src: str, *, timestamp: bool, iso: bool) -> str:
        inner = _optional_inner(tp)
        if inner is not None:
            v = self.var()
            body = self.encode(inner, v, timestamp=timestamp, iso=iso)
            return f"(None if ({v} := {src}) is None else {body})"
        sequence = _sequence_inner(tp)
        if sequence is not None:
            v = self.var()
            return f"[{self.encode(sequence, v, timestamp=False, iso=iso)} for {v} in {src}]"
        if tp is int and timestamp and iso:
            return f"{self.name(iso8601_from_ns, 'iso')}({src})"
        if tp in (int, str, bool):
            return src
        if not isinstance(tp, type):
            raise TypeError(f"unsupported annotation {tp!r}")
        if issubclass(tp, Identifier):
            return f"{src}.value"
        if issubclass(tp, Enum):
            return f"{src}._value_"  # the member's value, without the ``value`` property's cost
        if tp is Price or tp is Quantity:
            v = self.var()
            raw = f"({v} if -{_INT64} < ({v} := {src}.raw) < {_INT64} else str({v}))"
            return f"[{raw}, {src}.precision]"
        if tp is Money:
            v = self.var()
            return (
                f"[({v} if -{_INT64} < ({v} := {src}.raw) < {_INT64} else str({v})), "
                f"{self.encode(Currency, f'{src}.currency', timestamp=False, iso=iso)}]"
            )
        if tp is Currency:
            v = self.var()
            registered = self.name(_REGISTERED, "reg")
            full = self.name(_currency_out, "ccy")
            return f"({v}.code if {registered}.get(({v} := {src}).code) is {v} else {full}({v}))"
        if tp is Decimal:
            return f"str({src})"
        if attrs.has(tp):
            nested = _codec_for(tp)
            if _is_final(tp):
                fn = nested.fields_iso if iso else nested.fields_ns
                return f"{self.name(fn, 'enc')}({src})"
            return f"{self.name(_encode_any_iso if iso else _encode_any_ns, 'any')}({src})"
        raise TypeError(f"unsupported field type {tp.__qualname__}")

    def decode(self, tp: object, src: str, *, timestamp: bool) -> str:
        inner = _optional_inner(tp)
        if inner is not None:
            v = self.var()
            body = self.decode(inner, v, timestamp=timestamp)
            return f"(None if ({v} := {src}) is None else {body})"
        sequence = _sequence_inner(tp)
        if sequence is not None:
            v = self.var()
            kind = "tuple" if typing.get_origin(tp) is tuple else "list"
            return f"{kind}([{self.decode(sequence, v, timestamp=False)} for {v} in {src}])"
        if tp is int:
            if not timestamp:
                return src
            v = self.var()
            return f"({v} if type({v} := {src}) is int else {self.name(_ts, 'ts')}({v}))"
        if tp in (str, bool):
            return src
        if not isinstance(tp, type):
            raise TypeError(f"unsupported annotation {tp!r}")
        if issubclass(tp, Identifier):
            table, make = _intern(tp)
            v = self.var()
            return f"({self.name(table, 'ids')}.get({v} := {src}) or {self.name(make, 'id')}({v}))"
        if issubclass(tp, Enum):
            members = {member.value: member for member in tp}
            return f"{self.name(members, 'enum')}[{src}]"
        if tp is Price or tp is Quantity:
            # Fast path for the usual [int, int]; anything else is checked by _fixed.
            v = self.var()
            from_raw = self.name(tp.from_raw, "raw")
            slow = self.name(_price if tp is Price else _quantity, "fx")
            return (
                f"({from_raw}({v}[0], {v}[1]) if type({v} := {src}) is list and len({v}) == 2 "
                f"and type({v}[0]) is int and {v}[0] >= {0 if tp is Quantity else -_INT64} "
                f"and {v}[1].__class__ is int and 0 <= {v}[1] <= {FIXED_PRECISION} "
                f"else {slow}({v}))"
            )
        if tp is Money:
            # Fast path for [int, registered code] on the currency's grid.
            v, c = self.var(), self.var()
            registered = self.name(_REGISTERED, "reg")
            from_raw = self.name(Money.from_raw, "raw")
            steps = self.name(_GRID_STEPS, "step")
            return (
                f"({from_raw}({v}[0], {c}) if type({v} := {src}) is list and len({v}) == 2 "
                f"and type({v}[0]) is int and type({v}[1]) is str "
                f"and ({c} := {registered}.get({v}[1])) is not None "
                f"and not {v}[0] % {steps}[{c}.precision] "
                f"else {self.name(_money_in, 'money')}({v}))"
            )
        if tp is Currency:
            return f"{self.name(_currency_in, 'ccy')}({src})"
        if tp is Decimal:
            return f"{self.name(_decimal, 'dec')}({src})"
        if attrs.has(tp):
            nested = _codec_for(tp)
            if _is_final(tp):
                return f"{self.name(nested.decode, 'dec')}({src})"
            return f"{self.name(_expecting(tp), 'any')}({src})"
        raise TypeError(f"unsupported field type {tp.__qualname__}")


def _optional_inner(tp: object) -> object | None:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args: list[object] = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0]
        raise TypeError(f"unsupported union {tp!r}: only X | None can be stored")
    return None


def _sequence_inner(tp: object) -> object | None:
    origin = typing.get_origin(tp)
    args: tuple[object, ...] = typing.get_args(tp)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return args[0]
    if origin is list and len(args) == 1:
        return args[0]
    return None


def _encode_any_ns(obj: object) -> dict[str, Any]:
    return _codec_for(type(obj)).encode_ns(obj)


def _encode_any_iso(obj: object) -> dict[str, Any]:
    return _codec_for(type(obj)).encode_iso(obj)


def _expecting(cls: type) -> DecodeFn:
    def decode(record: dict[str, Any]) -> Any:
        obj = _decode_map(record)
        if not isinstance(obj, cls):
            raise CodecError(f"expected a {cls.__name__} record, got {type(obj).__name__}")
        return obj

    return decode


def _build(cls: type) -> _TypeCodec:
    tag = cls.__name__
    known = _BY_TAG.get(tag)
    if known is not None and known.cls is not cls:
        raise TypeError(f"two stored classes are named {tag}: {known.cls!r} and {cls!r}")
    hints = typing.get_type_hints(cls)
    fields = [a for a in attrs.fields(cls) if a.init]
    for a in fields:
        if a.alias in (TYPE_KEY, SEQ_KEY):
            raise TypeError(f"{tag}.{a.alias}: the field name is reserved by the codec")
    namespace: dict[str, object] = {"_cls": cls, "_MISSING": _MISSING}
    source = _Source(namespace)
    functions = []
    for iso in (False, True):
        items = [
            f"{a.alias!r}: "
            + source.encode(hints[a.name], f"o.{a.name}", timestamp=_is_timestamp(a.alias), iso=iso)
            for a in fields
        ]
        suffix = "iso" if iso else "ns"
        tagged = [f"{TYPE_KEY!r}: {tag!r}", *items]
        functions.append(f"def encode_{suffix}(o):\n    return {{{', '.join(tagged)}}}\n")
        functions.append(f"def fields_{suffix}(o):\n    return {{{', '.join(items)}}}\n")
    # Decoding: one call with every field (what this version writes); when a key is
    # missing, field by field, leaving defaults to attrs (and a real KeyError raised).
    converted = {
        a.alias: source.decode(hints[a.name], f"d[{a.alias!r}]", timestamp=_is_timestamp(a.alias))
        for a in fields
    }
    arguments = ", ".join(f"{alias}={value}" for alias, value in converted.items())
    lines = [
        "def decode(d):",
        "    try:",
        f"        return _cls({arguments})",
        "    except KeyError:",
        "        pass",
        "    kw = {}",
    ]
    for a in fields:
        value = converted[a.alias]
        if a.default is attrs.NOTHING:
            lines.append(f"    kw[{a.alias!r}] = {value}")
        else:
            lines.append(f"    if {a.alias!r} in d: kw[{a.alias!r}] = {value}")
    lines.append("    return _cls(**kw)")
    functions.append("\n".join(lines) + "\n")
    code = compile("\n".join(functions), f"<livetrade codec for {tag}>", "exec")
    exec(code, namespace)
    return _TypeCodec(
        cls=cls,
        tag=tag,
        encode_ns=namespace["encode_ns"],  # type: ignore[arg-type]
        encode_iso=namespace["encode_iso"],  # type: ignore[arg-type]
        fields_ns=namespace["fields_ns"],  # type: ignore[arg-type]
        fields_iso=namespace["fields_iso"],  # type: ignore[arg-type]
        decode=namespace["decode"],  # type: ignore[arg-type]
    )


_MISSING: Final = object()


def _codec_for(cls: type) -> _TypeCodec:
    codec = _BY_CLASS.get(cls)
    if codec is not None:
        return codec
    problem = _UNSUPPORTED.get(cls)
    if problem is not None:
        raise CodecError(problem)
    if not attrs.has(cls):
        problem = f"cannot encode {cls.__qualname__}: only attrs classes can be stored"
        _UNSUPPORTED[cls] = problem
        raise CodecError(problem)
    if cls in _PENDING:
        raise CodecError(f"cannot encode {cls.__qualname__}: it contains itself")
    _PENDING.add(cls)
    try:
        codec = _build(cls)
    except (TypeError, NameError, CodecError) as exc:
        problem = f"cannot encode {cls.__qualname__}: {exc}"
        _UNSUPPORTED[cls] = problem
        raise CodecError(problem) from None
    finally:
        _PENDING.discard(cls)
    _BY_CLASS[cls] = codec
    _BY_TAG[codec.tag] = codec
    return codec


def supports(cls: type) -> bool:
    """True if instances of ``cls`` can be encoded (an attrs class of supported fields)."""
    try:
        _codec_for(cls)
    except CodecError:
        return False
    return True


_STORED_REGISTERED: list[bool] = []


def _register_stored_types() -> bool:
    """Build the codec of every class the cache database stores; False if done before.

    Codecs are built when a class is first encoded, so a process that only
    reads (a node starting up) must learn the stored classes before decoding.
    """
    if _STORED_REGISTERED:
        return False
    _STORED_REGISTERED.append(True)
    from livetrade.model.account import AccountState
    from livetrade.model.events import OrderEvent
    from livetrade.model.instruments import Instrument
    from livetrade.model.position_events import PositionEvent
    from livetrade.persistence.records import OrderRoute

    pending: list[type] = [OrderEvent, PositionEvent, AccountState, Instrument, OrderRoute]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if attrs.has(cls):
            with contextlib.suppress(CodecError):
                _codec_for(cls)
    return True


def _decode_map(record: Any) -> Any:
    if type(record) is not dict:
        raise CodecError(f"a record is a map, got {type(record).__name__}")
    tag = record.get(TYPE_KEY)
    codec = _BY_TAG.get(tag) if type(tag) is str else None
    if codec is None and type(tag) is str and _register_stored_types():
        codec = _BY_TAG.get(tag)
    if codec is None:
        raise CodecError(f"unknown record type {tag!r}")
    try:
        return codec.decode(record)
    except CodecError:
        raise
    except KeyError as exc:
        raise CodecError(f"{tag} record: missing or unknown value {exc}") from None
    except (TypeError, ValueError, LiveTradeError) as exc:
        raise CodecError(f"{tag} record: {exc}") from None


# -- the codec -------------------------------------------------------------------------------

_MSGPACK_DECODER: Final = msgspec.msgpack.Decoder()
_JSON_DECODER: Final = msgspec.json.Decoder()


@final
class Codec:
    """Encodes model values to bytes and back.

    Args:
        encoding: ``msgpack`` (compact, the default) or ``json`` (readable).
        timestamps_as_iso8601: write ``ts_*`` fields as ISO-8601 strings with
            nanoseconds instead of integers; decoding accepts either.
    """

    __slots__ = ("_encode", "_iso", "encoding", "timestamps_as_iso8601")

    def __init__(self, encoding: Encoding = "msgpack", *, timestamps_as_iso8601: bool = False):
        if encoding == "msgpack":
            self._encode: Callable[[Any], bytes] = msgspec.msgpack.Encoder().encode
        elif encoding == "json":
            self._encode = msgspec.json.Encoder().encode
        else:
            raise ValueError(f"encoding must be 'msgpack' or 'json', got {encoding!r}")
        self.encoding: Encoding = encoding
        self.timestamps_as_iso8601 = timestamps_as_iso8601
        self._iso = timestamps_as_iso8601

    def __repr__(self) -> str:
        iso = ", timestamps_as_iso8601=True" if self._iso else ""
        return f"Codec({self.encoding!r}{iso})"

    def to_builtins(self, item: object, *, seq: int | None = None) -> dict[str, Any]:
        """The record map of ``item`` (``type`` tag first), before it becomes bytes."""
        codec = _BY_CLASS.get(type(item)) or _codec_for(type(item))
        record = codec.encode_iso(item) if self._iso else codec.encode_ns(item)
        if seq is not None:
            record[SEQ_KEY] = seq
        return record

    def encode(self, item: object, *, seq: int | None = None) -> bytes:
        """``item`` as one record; ``seq`` is stored with it when given.

        Raises:
            CodecError: ``item``'s class cannot be encoded.
        """
        codec = _BY_CLASS.get(type(item)) or _codec_for(type(item))
        record = codec.encode_iso(item) if self._iso else codec.encode_ns(item)
        if seq is not None:
            record[SEQ_KEY] = seq
        return self._encode(record)

    def decode(self, data: bytes) -> Any:
        """The value of one record, whichever encoding wrote it.

        Raises:
            CodecError: the bytes are not a record this version knows.
        """
        return _decode_map(_load(data))

    def decode_record(self, data: bytes) -> tuple[Any, int | None]:
        """The value and the ``seq`` stored with it (None when there is none)."""
        record = _load(data)
        value = _decode_map(record)
        seq = record.get(SEQ_KEY)
        return value, seq if type(seq) is int else None


def _load(data: bytes) -> dict[str, Any]:
    try:
        record = (_JSON_DECODER if data[:1] == b"{" else _MSGPACK_DECODER).decode(data)
    except msgspec.DecodeError as exc:
        raise CodecError(f"undecodable record ({exc})") from None
    if type(record) is not dict:
        raise CodecError(f"a record is a map, got {type(record).__name__}")
    return record
