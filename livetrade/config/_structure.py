"""The strict cattrs converter that turns parsed TOML into config objects (EDGE).

cattrs coerces by default (``"false"`` becomes ``True``, ``1.9`` becomes 1,
``"6379"`` becomes 6379), which is exactly wrong for a trading config. Every
primitive, identifier, enum, literal, list and table here has a hook that
accepts only its own TOML type; the single allowance is an integer for a float.

Errors are left in cattrs's exception groups, whose notes record the key path;
``_problems`` renders them. Each attrs field with a validator gets a hook that
structures the value and runs the validator at once, so a range error is
reported at its own key, together with every other error, instead of the
first one stopping construction.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import Any, Final, TypeVar

import attrs
import cattrs
from cattrs.cols import list_structure_factory, mapping_structure_factory
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, override

from livetrade.config._checks import Check, describe
from livetrade.config.clients import (
    ClientConfig,
    ClientKind,
    adapter_config_classes,
    registered_adapters,
)
from livetrade.config.node import NodeConfig
from livetrade.config.secrets import Secret, env_variable_name
from livetrade.errors import InvalidIdentifier
from livetrade.model.identifiers import ClientId, Identifier

__all__ = ["Problem", "make_converter", "mismatch"]

StructureHook = Callable[[Any, Any], Any]
IdentifierT = TypeVar("IdentifierT", bound=Identifier)

_DECIMAL_EXPECTED: Final = (
    "a decimal amount written as a string or an integer (floats are not exact)"
)


class Problem(Exception):
    """A rejected value; rendered as ``<key path>: <reason>``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def mismatch(expected: str, found: object) -> Problem:
    """A value of the wrong type or form."""
    return Problem(f"expected {expected}, found {describe(found)}")


def _article(noun: str) -> str:
    return "an" if noun[:1] in "aeiou" else "a"


def _strict(expected: str, *types: type) -> StructureHook:
    def hook(value: object, _type: object) -> object:
        if type(value) not in types:
            raise mismatch(expected, value)
        return value

    return hook


def _float(value: object, _type: object) -> float:
    if type(value) is float:
        return value
    if type(value) is int:
        return float(value)
    raise mismatch("a number", value)


def _decimal(value: object, _type: object) -> Decimal:
    if type(value) is int:
        return Decimal(value)
    if type(value) is str:
        try:
            return Decimal(value)
        except InvalidOperation:
            pass
    raise mismatch(_DECIMAL_EXPECTED, value)


def _path(value: object, _type: object) -> Path:
    if type(value) is not str or not value:
        raise mismatch("a file path (a non-empty string)", value)
    return Path(value)


def _identifier(value: object, id_type: type[IdentifierT]) -> IdentifierT:
    try:
        return id_type(value)  # type: ignore[arg-type]  # the id checks the type itself
    except InvalidIdentifier as exc:
        raise mismatch(f"{_article(exc.kind)} {exc.kind} ({exc.expected})", value) from None


def _secret_hook(environ: Mapping[str, str]) -> StructureHook:
    def hook(value: object, _type: object) -> Secret:
        if type(value) is not str:
            raise mismatch("a string or 'env:NAME'", value)
        name = env_variable_name(value)
        if name is None:
            return Secret(value)
        if not name or name.split() != [name]:
            raise mismatch("an environment variable name after 'env:'", value)
        if name not in environ:
            raise Problem(f"environment variable {name!r} is not set (named by {value!r})")
        if not environ[name]:
            raise Problem(f"environment variable {name!r} is empty (named by {value!r})")
        return Secret(environ[name])

    return hook


def _enum_factory(enum_type: type[Enum]) -> StructureHook:
    by_value = {member.value: member for member in enum_type}
    expected = "one of " + ", ".join(repr(value) for value in by_value)

    def hook(value: object, _type: object) -> Enum:
        if type(value) is not str or value not in by_value:
            raise mismatch(expected, value)
        return by_value[value]

    return hook


def _literal_factory(literal_type: object) -> StructureHook:
    choices = typing.get_args(literal_type)
    expected = "one of " + ", ".join(repr(choice) for choice in choices)

    def hook(value: object, _type: object) -> object:
        # Comparing types too keeps ``1`` from matching ``True`` and the reverse.
        if not any(type(value) is type(c) and value == c for c in choices):
            raise mismatch(expected, value)
        return value

    return hook


def _list_factory(list_type: Any, converter: cattrs.Converter) -> StructureHook:
    (element,) = typing.get_args(list_type) or (Any,)
    noun = "an array of tables" if attrs.has(element) else "an array"
    inner = list_structure_factory(list_type, converter)

    def hook(value: object, type_: object) -> object:
        if type(value) is not list:
            raise mismatch(noun, value)
        return inner(value, type_)

    return hook


def _dict_factory(dict_type: Any, converter: cattrs.Converter) -> StructureHook:
    inner = mapping_structure_factory(dict_type, converter)

    def hook(value: object, type_: object) -> object:
        if type(value) is not dict:
            raise mismatch("a table", value)
        return inner(value, type_)

    return hook


def _validated_field(converter: cattrs.Converter, field: attrs.Attribute[Any]) -> StructureHook:
    """Structure one field and run its validator, so range errors carry the field's path."""
    validator = field.validator
    check = validator if isinstance(validator, Check) else None
    field_type: Any = field.type

    def hook(value: object, _type: object) -> object:
        try:
            result = converter.structure(value, field_type)
        except Problem:
            if check is None:
                raise
            # Same words as a range error: "expected a non-negative integer (ms)".
            raise mismatch(check.expected, value) from None
        if check is not None:
            if not check.accepts_value(result):
                # Report what the file says (``0``), not the converted value (``0.0``).
                raise mismatch(check.expected, value)
        elif validator is not None:
            validator(None, field, result)
        return result

    return hook


def _with_note(exc: Exception, note: AttributeValidationNote | IterableValidationNote) -> Exception:
    """Attach a key-path note the way cattrs's generated code does."""
    exc.__notes__ = [*getattr(exc, "__notes__", []), note]
    return exc


def _structure_client(converter: cattrs.Converter, kind: ClientKind, table: object) -> ClientConfig:
    if type(table) is not dict:
        raise mismatch("a table with an 'adapter' key and the adapter's settings", table)
    settings = dict(table)
    adapter = settings.pop("adapter", None)

    def at_adapter(exc: Exception) -> ClassValidationError:
        note = AttributeValidationNote("Structuring client adapter", "adapter", str)
        errors = [_with_note(exc, note)]
        return ClassValidationError("While structuring a client", errors, ClientConfig)

    if adapter is None:
        raise at_adapter(KeyError("adapter"))
    if type(adapter) is not str:
        raise at_adapter(mismatch("an adapter name (a string)", adapter))
    try:
        classes = adapter_config_classes(adapter)
    except KeyError:
        raise at_adapter(Problem(_unknown_adapter(adapter))) from None
    settings_type = classes.for_kind(kind)
    if settings_type is None:
        raise at_adapter(Problem(f"adapter {adapter!r} has no {kind} client"))
    return ClientConfig(adapter=adapter, settings=converter.structure(settings, settings_type))


def _unknown_adapter(adapter: str) -> str:
    known = registered_adapters()
    if not known:
        return f"unknown adapter {adapter!r}; no adapters are registered"
    listed = ", ".join(repr(name) for name in known)
    text = f"unknown adapter {adapter!r}; registered adapters: {listed}"
    close = difflib.get_close_matches(adapter, known, n=1)
    return f"{text}; did you mean {close[0]!r}?" if close else text


def _clients_hook(converter: cattrs.Converter, kind: ClientKind) -> StructureHook:
    def hook(value: object, _type: object) -> dict[ClientId, ClientConfig]:
        if type(value) is not dict:
            raise mismatch("a table of named clients", value)
        result: dict[ClientId, ClientConfig] = {}
        errors: list[Exception] = []
        for name, table in value.items():
            try:
                client_id = _identifier(name, ClientId)
                result[client_id] = _structure_client(converter, kind, table)
            except Exception as exc:
                note = IterableValidationNote(f"Structuring client {name!r}", name, ClientConfig)
                errors.append(_with_note(exc, note))
        if errors:
            raise IterableValidationError(f"While structuring {kind} clients", errors, dict)
        return result

    return hook


def _attrs_factory(cls: type[Any], converter: cattrs.Converter) -> StructureHook:
    attrs.resolve_types(cls)
    special: dict[str, StructureHook] = {}
    if cls is NodeConfig:
        special = {
            "data_clients": _clients_hook(converter, "data"),
            "exec_clients": _clients_hook(converter, "exec"),
        }
    overrides: dict[str, Any] = {}  # name -> cattrs AttributeOverride
    for field in attrs.fields(cls):
        hook = special.get(field.name)
        if hook is None and field.validator is not None:
            hook = _validated_field(converter, field)
        if hook is not None:
            overrides[field.name] = override(struct_hook=hook)
    inner = make_dict_structure_fn(
        cls,
        converter,
        _cattrs_forbid_extra_keys=True,
        _cattrs_detailed_validation=True,
        **overrides,
    )

    def structure(value: object, type_: object) -> object:
        if type(value) is not dict:
            raise mismatch("a table", value)
        return inner(value, type_)

    return structure


def _is_identifier(type_: object) -> bool:
    return isinstance(type_, type) and issubclass(type_, Identifier)


def _is_enum(type_: object) -> bool:
    return isinstance(type_, type) and issubclass(type_, Enum)


def _origin_is(origin: object) -> Callable[[object], bool]:
    return lambda type_: typing.get_origin(type_) is origin


def make_converter(environ: Mapping[str, str]) -> cattrs.Converter:
    """A converter that accepts only exact TOML types; ``environ`` resolves ``env:`` secrets."""
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    converter.register_structure_hook(str, _strict("a string", str))
    converter.register_structure_hook(bool, _strict("a boolean (true or false)", bool))
    converter.register_structure_hook(int, _strict("an integer", int))
    converter.register_structure_hook(float, _float)
    converter.register_structure_hook(Decimal, _decimal)
    converter.register_structure_hook(Path, _path)
    converter.register_structure_hook(Secret, _secret_hook(environ))
    converter.register_structure_hook_func(_is_identifier, _identifier)
    converter.register_structure_hook_factory(_is_enum, _enum_factory)
    converter.register_structure_hook_factory(_origin_is(typing.Literal), _literal_factory)
    converter.register_structure_hook_factory(
        _origin_is(list), lambda t: _list_factory(t, converter)
    )
    converter.register_structure_hook_factory(
        _origin_is(dict), lambda t: _dict_factory(t, converter)
    )
    converter.register_structure_hook_factory(attrs.has, lambda t: _attrs_factory(t, converter))
    return converter
