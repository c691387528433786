from regenpolicy.builder.cli import main
from regenpolicy.presentation.worker import leave

if __name__ == "__main__":
    # The command's work is done, its files written and its child processes gone when main returns
    # (an exception still leaves the ordinary way, with its traceback).
    leave(main())
