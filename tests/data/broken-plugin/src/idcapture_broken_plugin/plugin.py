"""A plugin module that cannot be imported (its vendor binding is missing)."""

import vendor_binding_that_does_not_exist  # type: ignore[import-not-found]  # noqa: F401
