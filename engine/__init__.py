"""The engine: pure Python and SpiffWorkflow; no Flask, no SQLAlchemy."""

import logging

# SpiffWorkflow logs every task state change at INFO (10,000 lines for 300 cases in a scheduler's log): only its
# warnings and errors reach the logs of the app and the scheduler.
logging.getLogger("spiff").setLevel(logging.WARNING)
