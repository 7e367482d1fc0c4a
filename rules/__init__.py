"""secscan's semgrep rule pack (YAML files; each rule has a same-named annotated test file)."""
