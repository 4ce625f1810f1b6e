"""Makes `keras.saving.load_model` find the garden's classes after a bare `import keras_audio_ssl`.

Keras resolves a saved class through its global custom-object table, filled
when the defining module runs `register_keras_serializable`. Importing every
module eagerly would make `import keras_audio_ssl` import TensorFlow, which the
TF-free tools (the offline-benchmark builder and its worker processes) must not
pay. So the table is made lazy instead: a lookup of an unknown
`"keras_audio_ssl>..."` name imports the subpackages that define layers and
models, whose decorators then register them, and the lookup is answered.

The table is swapped when Keras's registration module is imported (an import
hook), or at once if Keras is already imported.
"""

import importlib
import importlib.abc
import importlib.util
import sys

_PACKAGE = "keras_audio_ssl>"
_REGISTRY_MODULE = "keras.src.saving.object_registration"
# The subpackages whose modules carry `register_keras_serializable`.
_DEFINING_SUBPACKAGES = ("audio", "layers", "augment", "heads", "encoders", "methods")


def _import_defining_modules():
    for name in _DEFINING_SUBPACKAGES:
        importlib.import_module(f"keras_audio_ssl.{name}")


class _LazyCustomObjects(dict):
    """Keras's custom-object dict, importing the garden on a miss of one of its names."""

    def _load(self, name):
        if isinstance(name, str) and name.startswith(_PACKAGE) and not dict.__contains__(self, name):
            _import_defining_modules()

    def __contains__(self, name):
        self._load(name)
        return dict.__contains__(self, name)

    def __getitem__(self, name):
        self._load(name)
        return dict.__getitem__(self, name)

    def get(self, name, default=None):
        self._load(name)
        return dict.get(self, name, default)


def _patch(module):
    if not isinstance(module.GLOBAL_CUSTOM_OBJECTS, _LazyCustomObjects):
        module.GLOBAL_CUSTOM_OBJECTS = _LazyCustomObjects(module.GLOBAL_CUSTOM_OBJECTS)


class _PatchOnImport(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds Keras's registration module through the other finders and patches it once executed."""

    def find_spec(self, fullname, path, target=None):
        if fullname != _REGISTRY_MODULE:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return None
        self._inner = spec.loader
        spec.loader = self
        return spec

    def create_module(self, spec):
        return self._inner.create_module(spec)

    def exec_module(self, module):
        self._inner.exec_module(module)
        _patch(module)
        if self in sys.meta_path:
            sys.meta_path.remove(self)


def install():
    """Idempotent: called by `keras_audio_ssl/__init__.py`."""
    module = sys.modules.get(_REGISTRY_MODULE)
    if module is not None:
        _patch(module)
    elif not any(isinstance(f, _PatchOnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _PatchOnImport())
