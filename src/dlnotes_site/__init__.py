"""The site build machinery of dlnotes: execute jupytext pages (with a cache), render their prose with
the site's own Markdown, and hand the result to mkdocs-jupyter. ``hooks/notebooks.py`` wires it into
MkDocs."""
