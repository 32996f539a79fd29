"""Known bugs of the engine, each pinned by a strict xfail: the test turns red when the code is
fixed, and the mark comes off with the fix.

Kept out of the mutation run's test selection (docs/mutation.md): a mutant that happened to make a
pinned bug go away would count as killed. None is pinned now: the last three (issue 17) were
fixed, and their tests moved to tests/test_engine.py and tests/test_kinks.py.
"""
