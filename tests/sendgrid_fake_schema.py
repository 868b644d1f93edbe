"""SendGrid's errors and schemas for the fake server: the shape of an error ({"message", "field", "help"}), and the
official OpenAPI descriptions (tests/data/sendgrid/) compiled once for jsonschema, with what they find worded the way
SendGrid words it (it validates with gojsonschema: "Invalid type. Expected: object, given: string.")."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).resolve().parent / "data" / "sendgrid"
HELP_URL = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html"

Error = dict[str, Any]

NO_PERSONALIZATION = "You must have at least one personalization."
TO_REQUIRED = "The to parameter is required for all personalization objects."
FROM_REQUIRED = (
    "The from object must be provided for every email send. It is an object that requires the email parameter, "
    'but may also contain a name parameter.  e.g. {"email" : "example@example.com"}  or '
    '{"email" : "example@example.com", "name" : "Example Recipient"}.'
)

JSON_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
    (type(None), "null"),
)
REQUIRED_MESSAGES = {"from": FROM_REQUIRED, "personalizations": NO_PERSONALIZATION}
ANNOTATIONS = frozenset({"description", "title", "example", "examples", "default", "nullable", "deprecated"})
SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
SCHEMA_ONE = frozenset(
    {"items", "additionalProperties", "contains", "not", "if", "then", "else", "propertyNames"}
    | {"unevaluatedProperties", "unevaluatedItems", "additionalItems"}
)


def make_error(message: str, field: str | None = None) -> Error:
    """One entry of SendGrid's {"errors": [...]}; `help` points at the errors page, as SendGrid's 400s do."""
    return {"message": message, "field": field, "help": help_for(field)}


def help_for(field: str | None) -> str | None:
    if field is None:
        return None
    top = field.split(".", 1)[0]
    return f"{HELP_URL}#-Personalizations-Errors" if top == "personalizations" else f"{HELP_URL}#message.{top}"


def json_type(value: Any) -> str:
    for python_type, name in JSON_TYPES:
        if isinstance(value, python_type):
            return name
    return type(value).__name__


def resolve_pointer(document: Mapping[str, Any], ref: str) -> Any:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $refs are supported, not {ref!r}")
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def inline_refs(schema: Any, document: Mapping[str, Any], depth: int = 0) -> Any:
    """The schema with every OpenAPI component $ref replaced by its target and annotations dropped: jsonschema then
    neither resolves a reference nor skips an annotation on each of the ~12,000 nodes of a 1000-recipient body
    (a quarter of the validation time)."""
    if depth > 64:
        raise ValueError("the schema's $refs recurse; inline_refs cannot flatten it")
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        target = inline_refs(resolve_pointer(document, schema["$ref"]), document, depth + 1)
        siblings = {key: value for key, value in schema.items() if key != "$ref" and key not in ANNOTATIONS}
        # JSON Schema 2020-12 applies a $ref's siblings as well as its target: both must hold.
        return {"allOf": [target, inline_refs(siblings, document, depth + 1)]} if siblings else target
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ANNOTATIONS:
            continue
        if key in SCHEMA_MAPS:
            out[key] = {name: inline_refs(sub, document, depth + 1) for name, sub in value.items()}
        elif key in SCHEMA_LISTS or (key in SCHEMA_ONE and isinstance(value, list)):
            out[key] = [inline_refs(sub, document, depth + 1) for sub in value]
        elif key in SCHEMA_ONE:
            out[key] = inline_refs(value, document, depth + 1)
        else:
            out[key] = value
    return out


def request_schema(document: Mapping[str, Any], path: str, method: str) -> Any:
    body = document["paths"][path][method]["requestBody"]
    if "$ref" in body:
        body = resolve_pointer(document, body["$ref"])
    return inline_refs(body["content"]["application/json"]["schema"], document)


@functools.cache
def load_validator(file_name: str, path: str, method: str) -> Any:
    """The compiled validator of one operation's request body; compiled once per process."""
    from jsonschema import Draft202012Validator

    document = json.loads((SCHEMA_DIR / file_name).read_text(encoding="utf-8"))
    schema = request_schema(document, path, method)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def mail_send_validator() -> Any:
    return load_validator("tsg_mail_v3.patched.json", "/v3/mail/send", "post")


def schema_errors(validator: Any, body: Any) -> list[Error]:
    """Every schema violation, in document order, worded the way SendGrid's validator words it."""
    found = sorted(validator.iter_errors(body), key=lambda e: ([str(p) for p in e.absolute_path], e.validator))
    return [describe_schema_error(error) for error in found]


def describe_schema_error(error: Any) -> Error:
    path = [str(part) for part in error.absolute_path]
    keyword, expected, value = error.validator, error.validator_value, error.instance
    if keyword == "required":
        match = re.match(r"^'(.+)' is a required property$", error.message)
        name = match.group(1) if match else str(error.message)
        field = ".".join([*path, name])
        if name == "to" and len(path) == 2 and path[0] == "personalizations":
            return make_error(TO_REQUIRED, field)
        return make_error(REQUIRED_MESSAGES.get(field, f"{name} is required"), field)
    return make_error(schema_message(keyword, expected, value, path) or str(error.message), ".".join(path) or None)


def schema_message(keyword: str, expected: Any, value: Any, path: list[str]) -> str | None:
    """gojsonschema's wording (SendGrid validates with it: "Invalid type. Expected: object, given: string.")."""
    match keyword:
        case "type":
            return f"Invalid type. Expected: {type_names(expected)}, given: {json_type(value)}."
        case "maxItems":
            return f"Array must have at most {expected} items"
        case "minItems":
            return f"Array must have at least {expected} items"
        case "maxLength":
            return f"String length must be less than or equal to {expected}"
        case "minLength":
            return f"String length must be greater than or equal to {expected}"
        case "maxProperties":
            return f"Must have at most {expected} properties"
        case "minProperties":
            return f"Must have at least {expected} properties"
        case "enum":
            options = ", ".join(json.dumps(option) for option in expected)
            return f"{path[-1] if path else '(root)'} must be one of the following: {options}"
        case "format":
            return "Does not contain a valid address." if expected == "email" else f"Does not match format '{expected}'"
        case "pattern":
            return f"Does not match pattern '{expected}'"
        case "uniqueItems":
            return "array items[{},{}] must be unique".format(*first_duplicate(value))
    return None


def type_names(expected: Any) -> str:
    return ", ".join(expected) if isinstance(expected, list) else str(expected)


def first_duplicate(items: list[Any]) -> tuple[int, int]:
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        key = json.dumps(item, sort_keys=True)
        if key in seen:
            return seen[key], index
        seen[key] = index
    return 0, 0
