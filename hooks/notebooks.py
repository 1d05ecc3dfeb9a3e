"""MkDocs hooks: execute notebook pages, render their prose with the site's Markdown, serve assets.

The logic lives in :mod:`dlnotes_site.build`; this file only forwards MkDocs events. Priorities:
``on_files`` runs after mkdocs-jupyter has wrapped its files (it uses the default priority 0).
"""

import logging
from pathlib import Path

from mkdocs.plugins import event_priority

from dlnotes_site.build import NotebookBuild

_build = NotebookBuild(root=Path(__file__).resolve().parents[1])

# mkdocs-jupyter logs "Cache hit: <file>" for every page of every build; our own summary says
# what matters (pages run, from cache, page time), so keep its per-page lines out of the log.
for _name in ("mkdocs.plugins.mkdocs_jupyter", "mkdocs.mkdocs-jupyter"):
    logging.getLogger(_name).setLevel(logging.WARNING)


def on_config(config):
    _build.on_config(config)
    return config


@event_priority(-100)
def on_files(files, config):
    return _build.on_files(files, config)


@event_priority(-100)
def on_page_content(html, page, config, files):
    return _build.on_page_content(html, page, config, files)


def on_post_page(output, page, config):
    return _build.on_post_page(output, page, config)


def on_post_template(output_content, template_name, config):
    return _build.on_post_template(output_content, template_name, config)


def on_post_build(config):
    _build.on_post_build(config)


def on_build_error(error):
    _build.on_build_error(error)
