"""A method's hyperparameters: the keyword arguments of its constructors, with their defaults (the paper's)."""

import inspect


def constructor_defaults(cls, base, excluded):
    """`{name: default}` of the keyword arguments of every `__init__` from `cls` up to `base` (the most
    derived class's default wins), leaving out the names in `excluded`."""
    found = {}
    for klass in cls.__mro__:
        if not (isinstance(klass, type) and issubclass(klass, base)):
            continue
        for name, p in inspect.signature(klass.__init__).parameters.items():
            if p.default is not p.empty and name not in excluded:
                found.setdefault(name, p.default)
    return found
