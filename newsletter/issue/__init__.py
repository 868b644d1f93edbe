"""The issue file: the model, loading and validating YAML, editing it, scaffolding a new one.

- model.py: Issue, Section, Article, and ArticleDraft (an article as found on its page)
- yamltext.py: the file as YAML text: read within limits, composed, syntax errors placed
- load.py: the validating walk from YAML nodes to an Issue, every problem at once
- edit.py: appending an article the way an editor would (comments, order, quoting kept)
- scaffold.py: `newsletter new`, the next issue's file
"""
