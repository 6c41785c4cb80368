"""The Textual TUI: a thin shell over the Assistant service."""
