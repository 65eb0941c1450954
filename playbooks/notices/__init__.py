"""The shipped notice templates (Markdown with fields): data, found with importlib.resources."""
