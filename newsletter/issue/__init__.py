"""The issue file: the model, loading and validating YAML, editing it, scaffolding a new one."""
