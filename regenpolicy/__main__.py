import sys

from regenpolicy.builder.cli import main

if __name__ == "__main__":
    sys.exit(main())
