"""seuil's settings with the password hasher timed where it runs (bench/hash_clock.py): the
settings of bench/load.py's server, and only of it."""

from seuil.settings import *  # noqa: F403

PASSWORD_HASHERS = ["hash_clock.TimedArgon2idHasher", *PASSWORD_HASHERS[1:]]  # noqa: F405
