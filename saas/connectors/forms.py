"""What a connector's settings form declares once, and the portal, the audit trail and the settings page read from it:
each field's label and whether it is secret, the sections the page shows them in, and the secrets typed in."""
from dataclasses import dataclass

from wtforms import PasswordField
from wtforms.fields.core import UnboundField

from saas.connectors.base import SettingsField


@dataclass(frozen=True)
class Section:
    """A group of fields on the settings page; ``carriers`` fields offer the store's VTEX carriers to pick from."""

    title: str
    fields: tuple[str, ...]
    help: str = ""
    carriers: bool = False
    advanced: bool = False  # folded away until opened, or until one of its fields has an error


def declared_fields(form_class) -> tuple[SettingsField, ...]:
    """Each field of the form, in the order it is declared, with its label and whether it is a secret."""
    unbound = sorted(((name, getattr(form_class, name)) for name in dir(form_class)
                      if isinstance(getattr(form_class, name, None), UnboundField)),
                     key=lambda item: item[1].creation_counter)
    return tuple(SettingsField(name, field.args[0] if field.args else field.kwargs.get("label", name),
                               secret=issubclass(field.field_class, PasswordField)) for name, field in unbound)


def secret_values(form) -> dict:
    """The secrets typed into the form; an empty secret field keeps the stored value."""
    return {field.name: field.data for field in form if isinstance(field, PasswordField) and field.data}
