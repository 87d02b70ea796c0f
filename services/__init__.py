"""The application layer: use cases as plain functions taking a session (see DESIGN.md)."""
