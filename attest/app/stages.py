"""Named stages of a publishing run, where a test stops it to interrupt it there (read in this one place).

`ATTEST_PAUSE_AT=STAGE` makes the run print `paused at STAGE` on stderr the first time it reaches
STAGE and wait there until a signal ends it, so a test can send SIGINT to a real process at a known
point instead of sleeping and hoping. Unset (always, outside tests), `reached` does nothing.

The stages: `hashed` (every input read and digested, nothing signed), `signed` (a window's intents
and signed bytes committed to the journal, not yet sent), `sent` (a window sent, its outcome not
known), `receipt` (the first receipt of the run written, the others not yet).
"""

from __future__ import annotations

import os
import sys
import time

PAUSE_ENV = "ATTEST_PAUSE_AT"
STAGES = ("hashed", "signed", "sent", "receipt")
_paused: set[str] = set()


def reached(stage: str) -> None:
    """Mark that the run reached `stage`; pause there once if ATTEST_PAUSE_AT names it."""
    assert stage in STAGES, stage
    if os.environ.get(PAUSE_ENV) != stage or stage in _paused:
        return
    _paused.add(stage)
    print(f"paused at {stage}", file=sys.stderr, flush=True)
    while True:  # until a signal (the test's SIGINT: KeyboardInterrupt) ends the wait
        time.sleep(0.01)
