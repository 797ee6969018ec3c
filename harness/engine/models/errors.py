"""The errors model loading raises; their messages say why and what to do."""

from __future__ import annotations


class ModelLoadError(RuntimeError):
    """A model could not be loaded; the message says why and what to do."""


class ModelNotFoundError(ModelLoadError):
    """The model (path, alias source or hub id) cannot be found."""
