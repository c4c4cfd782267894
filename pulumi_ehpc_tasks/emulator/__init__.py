"""Local E-HPC API emulator.

State model (`state`, `backend`, `operations`) kept apart from the wire rendering (`render`); ASGI app
(`app`, `admin`), signature verification (`auth`), faults, SQLite persistence, CLI and `testing` helper.
"""
